"""The trial data file (``welcomematch.trial/1``): reading, checking and the pair design.

CSV, UTF-8 (a byte-order mark is allowed), comma-separated, one header row, one row per
household: ``pair`` and ``arm`` (required), ``unit`` (optional), outcome columns (named when
the analysis runs: a number with ``.`` as decimal point, or empty when not observed) and every
other column a baseline covariate. Every pair has exactly one ``treatment`` and one ``control``
row. Bad input raises :class:`~welcomematch.core.errors.InvalidInput` whose message names the
line in the file (header = line 1) and the column.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from welcomematch.core.errors import InvalidInput

__all__ = [
    "ARM",
    "ARMS",
    "CONTROL",
    "DATA_FORMAT",
    "PAIR",
    "TREATMENT",
    "UNIT",
    "Design",
    "TrialData",
    "design",
    "dumps_trial_csv",
    "is_number",
    "outcome_values",
    "parse_number",
    "parse_trial_csv",
    "read_trial_file",
    "trial_data_from_rows",
]

DATA_FORMAT = "welcomematch.trial/1"
PAIR, ARM, UNIT = "pair", "arm", "unit"
TREATMENT, CONTROL = "treatment", "control"
ARMS: tuple[str, str] = (TREATMENT, CONTROL)
#: Columns that are never covariates.
DESIGN_COLUMNS: tuple[str, ...] = (PAIR, ARM, UNIT)

# Error messages (the tests import them).
CANNOT_READ = "cannot read the file: {reason}"
NOT_UTF8 = "not UTF-8 text (byte 0x{byte:02x})"
NOT_CSV = "not readable as CSV: {reason}"
EMPTY_FILE = "the file is empty: a header row with pair and arm is required"
BLANK_FIRST_LINE = "the first line must be the header row (pair, arm, …); it is blank"
EMPTY_HEADER = "the header cell is empty: every column needs a name"
DUPLICATE_HEADER = "appears twice in the header (also column {first})"
MISSING_COLUMN = "required column missing from the header"
TOO_FEW_FIELDS = "missing: the row has {fields} fields, the header {columns}"
TOO_MANY_FIELDS = "the row has {fields} fields, the header only {columns}"
EMPTY_PAIR = "empty: every row needs its pair"
BAD_ARM = "must be 'treatment' or 'control', got {value!r}"
SECOND_ROW_OF_ARM = "pair {pair!r} has a second {arm} row (the first is on line {first})"
LONE_ROW = "pair {pair!r} has no row with arm {missing!r}: every pair has one of each arm"
NO_PAIRS = "no pairs: the file has a header but no rows"
NOT_A_COLUMN = "not a column of the file (given as an outcome)"
DESIGN_COLUMN_AS_OUTCOME = "is a design column, not an outcome"
NOT_A_NUMBER = "not a number: {value!r} (use . as decimal point, empty when not observed)"
NOT_FINITE = "number out of range: {value!r}"

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


@dataclass(frozen=True, slots=True)
class TrialData:
    """The rows of a trial data file as text.

    ``columns`` are the header names; each row has one stripped string per column (``""``
    when empty). ``lines`` gives each row's line number in the file (header = line 1); when
    empty, row ``i`` is taken to be on line ``i + 2``.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    lines: tuple[int, ...] = ()

    def line(self, index: int) -> int:
        """The line number of row ``index`` as in the file."""
        return self.lines[index] if self.lines else index + 2

    def column(self, name: str) -> int:
        """The index of column ``name``; it must exist."""
        return self.columns.index(name)


@dataclass(frozen=True, slots=True)
class Design:
    """The checked pair structure: per pair (in order of first appearance) its two rows."""

    pairs: tuple[str, ...]
    treatment_rows: tuple[int, ...]
    control_rows: tuple[int, ...]


def _where(line: int, column: str | None) -> dict[str, str | None]:
    return {"record": f"line {line}", "field": None if column is None else f"column {column!r}"}


def error(message: str, line: int, column: str | None) -> InvalidInput:
    """An :class:`InvalidInput` naming ``line`` (header = 1) and ``column``."""
    return InvalidInput(message, **_where(line, column))


def is_number(text: str) -> bool:
    """Whether ``text`` is a number of the file format (``.`` as decimal point)."""
    return _NUMBER.fullmatch(text) is not None


def parse_number(text: str, line: int, column: str) -> float | None:
    """The value of an outcome cell: a finite float, or None when empty (not observed)."""
    if text == "":
        return None
    if not is_number(text):
        raise error(NOT_A_NUMBER.format(value=text), line, column)
    value = float(text)
    if not math.isfinite(value):
        raise error(NOT_FINITE.format(value=text), line, column)
    return value


# --------------------------------------------------------------------------- reading


def read_trial_file(path: str | Path) -> TrialData:
    """Read and check a trial data file (UTF-8, optional byte-order mark)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise error(CANNOT_READ.format(reason=exc.strerror or exc), 1, None) from None
    return parse_trial_bytes(raw)


def parse_trial_bytes(raw: bytes) -> TrialData:
    """Decode UTF-8 (naming the line and column of a bad byte) and parse."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start].decode("utf-8", errors="replace").lstrip("\ufeff")
        line = before.count("\n") + 1
        header = _first_record(before) if line > 1 else []
        current = before.rsplit("\n", 1)[-1]
        index = len(next(csv.reader([current]), [""])) - 1 if current else 0
        column = header[index].strip() if index < len(header) else f"#{index + 1}"
        if line == 1:
            column = f"#{index + 1}"  # the header cell itself cannot be read
        raise error(NOT_UTF8.format(byte=raw[exc.start]), line, column) from None
    return parse_trial_csv(text)


def _first_record(text: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error:
        return []


def parse_trial_csv(text: str) -> TrialData:
    """Parse and check the text of a trial data file.

    Blank lines (and rows whose every cell is empty) are skipped; cells are stripped of
    surrounding white space. The pair structure is checked (see :func:`design`).
    """
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for record in reader:
            records.append((start, record))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise error(NOT_CSV.format(reason=exc), reader.line_num or 1, None) from None
    if not any(any(cell.strip() for cell in record) for _, record in records):
        raise error(EMPTY_FILE, 1, PAIR)
    if not any(cell.strip() for cell in records[0][1]):
        raise error(BLANK_FIRST_LINE, 1, PAIR)
    header_line, header = records[0]
    columns = _columns(header, header_line)
    rows: list[tuple[str, ...]] = []
    lines: list[int] = []
    for line, record in records[1:]:
        cells = [cell.strip() for cell in record]
        if not any(cells):
            continue
        if len(cells) < len(columns):
            raise error(
                TOO_FEW_FIELDS.format(fields=len(cells), columns=len(columns)),
                line,
                columns[len(cells)],
            )
        if len(cells) > len(columns):
            extra = [i for i in range(len(columns), len(cells)) if cells[i]]
            if extra:
                raise error(
                    TOO_MANY_FIELDS.format(fields=len(cells), columns=len(columns)),
                    line,
                    f"#{extra[0] + 1} (no header)",
                )
            cells = cells[: len(columns)]  # trailing empty cells of a spreadsheet export
        rows.append(tuple(cells))
        lines.append(line)
    data = TrialData(columns=columns, rows=tuple(rows), lines=tuple(lines))
    design(data)
    return data


def _columns(header: list[str], line: int) -> tuple[str, ...]:
    names = [cell.strip() for cell in header]
    while names and names[-1] == "":
        names.pop()  # trailing empty header cells of a spreadsheet export
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        if name == "":
            raise error(EMPTY_HEADER, line, f"#{index + 1}")
        if name in seen:
            raise error(DUPLICATE_HEADER.format(first=seen[name] + 1), line, name)
        seen[name] = index
    for required in (PAIR, ARM):
        if required not in seen:
            raise error(MISSING_COLUMN, line, required)
    return tuple(names)


def trial_data_from_rows(rows: Sequence[Mapping[str, object]], columns: Sequence[str]) -> TrialData:
    """Trial data from the application's rows (values: str, number or None).

    Row ``i`` counts as line ``i + 2`` (as in the exported file). Numbers are written as
    Python writes them (``repr`` of a float round-trips exactly); None and NaN are empty.
    """
    names = _columns([str(c) for c in columns], 1)
    converted: list[tuple[str, ...]] = []
    for index, row in enumerate(rows):
        cells = tuple(_cell(row.get(name), index + 2, name) for name in names)
        converted.append(cells)
    data = TrialData(columns=names, rows=tuple(converted))
    design(data)
    return data


def _cell(value: object, line: int, column: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if not math.isfinite(value):
            raise error(NOT_FINITE.format(value=value), line, column)
        return repr(value)
    if isinstance(value, int | Decimal):
        return str(value)
    return str(value).strip()


def dumps_trial_csv(data: TrialData) -> str:
    """The trial data file text of ``data``: UTF-8 CSV, ``\\n`` line ends, quoted as needed.

    :func:`parse_trial_csv` reads it back to the same columns and rows.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(data.columns)
    writer.writerows(data.rows)
    return buffer.getvalue()


# --------------------------------------------------------------------------- design


def design(data: TrialData) -> Design:
    """Check ``pair`` and ``arm`` and return the pairs with their treatment and control rows.

    Raises :class:`InvalidInput` for an empty pair, an arm other than ``treatment`` or
    ``control``, a pair with a second row of an arm, a pair without a row of each arm, or
    no rows at all.
    """
    for required in (PAIR, ARM):
        if required not in data.columns:
            raise error(MISSING_COLUMN, 1, required)
    pair_at, arm_at = data.column(PAIR), data.column(ARM)
    seen: dict[str, dict[str, int]] = {}
    for index, row in enumerate(data.rows):
        line = data.line(index)
        if len(row) != len(data.columns):
            fields, columns = len(row), len(data.columns)
            if fields < columns:
                raise error(
                    TOO_FEW_FIELDS.format(fields=fields, columns=columns),
                    line,
                    data.columns[fields],
                )
            raise error(
                TOO_MANY_FIELDS.format(fields=fields, columns=columns),
                line,
                f"#{columns + 1} (no header)",
            )
        pair, arm = row[pair_at], row[arm_at]
        if pair == "":
            raise error(EMPTY_PAIR, line, PAIR)
        if arm not in ARMS:
            raise error(BAD_ARM.format(value=arm), line, ARM)
        arms = seen.setdefault(pair, {})
        if arm in arms:
            first = data.line(arms[arm])
            raise error(SECOND_ROW_OF_ARM.format(pair=pair, arm=arm, first=first), line, ARM)
        arms[arm] = index
    if not seen:
        raise error(NO_PAIRS, 1, PAIR)
    for pair, arms in seen.items():
        if len(arms) < 2:
            ((present, index),) = arms.items()
            missing = CONTROL if present == TREATMENT else TREATMENT
            raise error(LONE_ROW.format(pair=pair, missing=missing), data.line(index), PAIR)
    return Design(
        pairs=tuple(seen),
        treatment_rows=tuple(arms[TREATMENT] for arms in seen.values()),
        control_rows=tuple(arms[CONTROL] for arms in seen.values()),
    )


def check_outcome_column(data: TrialData, column: str) -> int:
    """The index of outcome ``column``; it must be a column other than pair/arm/unit."""
    if column not in data.columns:
        raise error(NOT_A_COLUMN, 1, column)
    if column in DESIGN_COLUMNS:
        raise error(DESIGN_COLUMN_AS_OUTCOME, 1, column)
    return data.column(column)


def outcome_values(
    data: TrialData, plan: Design, column: str
) -> tuple[list[float | None], list[float | None]]:
    """The outcome per pair (in the design's order): treatment values, control values."""
    at = check_outcome_column(data, column)
    for index, row in enumerate(data.rows):  # report the first bad value in file order
        parse_number(row[at], data.line(index), column)
    treatment = [parse_number(data.rows[i][at], 0, column) for i in plan.treatment_rows]
    control = [parse_number(data.rows[i][at], 0, column) for i in plan.control_rows]
    return treatment, control
