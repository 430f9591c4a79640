"""Cells the product writes into spreadsheets, safe from formula injection (no Django).

A cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is
taken as a formula by Excel and LibreOffice when a CSV file is opened, and by openpyxl when a
workbook is written. Every writer of spreadsheets uses these two helpers:

- :func:`csv_cell` for CSV output: such text gets a leading apostrophe (OWASP's advice), which
  spreadsheet programs show as text and hide;
- :func:`xlsx_cell` for openpyxl: the text is stored as a text cell (never a formula) with the
  "quote prefix" style, so the value stays exactly what was written — an XLSForm label that
  starts with ``=`` reaches KoboToolbox or ODK as that label, not as a formula.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FORMULA_STARTS", "csv_cell", "csv_row", "is_formula_like", "xlsx_append", "xlsx_cell"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_cell(value: object) -> object:
    """A value for a CSV cell: text that a spreadsheet would run as a formula is quoted."""
    if is_formula_like(value):
        return "'" + str(value)
    return value


def csv_row(values: list[Any] | tuple[Any, ...]) -> list[Any]:
    return [csv_cell(v) for v in values]


def xlsx_cell(sheet: Any, row: int, column: int, value: object) -> Any:
    """Write one openpyxl cell; text is always text, never a formula."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        cell._value = value  # the public setter would infer a formula
        cell.data_type = "s"
        if is_formula_like(value):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def xlsx_append(sheet: Any, values: list[Any] | tuple[Any, ...]) -> None:
    """Append a row to an openpyxl worksheet with :func:`xlsx_cell` for every value."""
    row = sheet.max_row + 1 if sheet._cells else 1  # an empty sheet has max_row 1
    for column, value in enumerate(values, start=1):
        xlsx_cell(sheet, row, column, value)
