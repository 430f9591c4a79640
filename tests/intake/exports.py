"""Write survey exports the way KoboToolbox and ODK write them, for the import tests."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook, load_workbook


def xlsx(sheets: dict[str, list[list[Any]]]) -> bytes:
    workbook = Workbook()
    first = True
    for name, rows in sheets.items():
        sheet = workbook.active if first else workbook.create_sheet()
        assert sheet is not None
        sheet.title = name
        first = False
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: Sequence[Sequence[Any]], delimiter: str = ";") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def xlsform_paths(xlsform: bytes) -> dict[str, tuple[str, str, str]]:
    """question name → (path as Kobo writes it, XLSForm type, repeat it belongs to or '')."""
    survey = load_workbook(io.BytesIO(xlsform))["survey"]
    rows = list(survey.iter_rows(values_only=True))
    header = list(rows[0])
    type_i, name_i = header.index("type"), header.index("name")
    stack: list[tuple[str, bool]] = []
    paths: dict[str, tuple[str, str, str]] = {}
    for row in rows[1:]:
        kind, name = row[type_i] or "", row[name_i] or ""
        if kind in ("begin_group", "begin_repeat"):
            stack.append((name, kind == "begin_repeat"))
        elif kind in ("end_group", "end_repeat"):
            stack.pop()
        elif kind != "note":
            repeat = next((n for n, is_repeat in reversed(stack) if is_repeat), "")
            paths[name] = ("/".join([*(n for n, _r in stack), name]), kind, repeat)
    return paths


def kobo_value(kind: str, value: Any) -> Any:
    """An answer as a Kobo export cell: codes space-separated, acknowledge OK, yes/no."""
    if kind == "acknowledge":
        return "OK" if value else ""
    if kind.startswith("select_one yes_no"):
        return "yes" if value else "no"
    if isinstance(value, list):
        return " ".join(value)
    return value


def kobo_export(
    xlsform: bytes, submissions: list[dict[str, Any]], *, main: str = "Intake"
) -> bytes:
    """An XLSX export of ``submissions`` (answers with repeats) for the form ``xlsform``."""
    paths = xlsform_paths(xlsform)
    main_names = [n for n, (_p, _k, repeat) in paths.items() if not repeat]
    repeats: dict[str, list[str]] = {}
    for name, (_path, _kind, repeat) in paths.items():
        if repeat:
            repeats.setdefault(repeat, []).append(name)
    main_rows: list[list[Any]] = [
        [
            "start",
            "end",
            *(paths[n][0] for n in main_names),
            "_id",
            "_uuid",
            "_submission_time",
            "_index",
        ]
    ]
    repeat_rows: dict[str, list[list[Any]]] = {
        r: [[*(paths[n][0] for n in names), "_index", "_parent_table_name", "_parent_index"]]
        for r, names in repeats.items()
    }
    counters = dict.fromkeys(repeats, 0)
    for index, submission in enumerate(submissions, start=1):
        answers = submission["answers"]
        main_rows.append(
            [
                "2026-11-01T10:00:00",
                "2026-11-01T10:09:00",
                *(kobo_value(paths[n][1], answers.get(n)) for n in main_names),
                1000 + index,
                submission["uuid"],
                "2026-11-01T10:09:30",
                index,
            ]
        )
        for repeat, names in repeats.items():
            for item in answers.get(repeat, []):
                counters[repeat] += 1
                repeat_rows[repeat].append(
                    [
                        *(kobo_value(paths[n][1], item.get(n)) for n in names),
                        counters[repeat],
                        main,
                        index,
                    ]
                )
    return xlsx({main: main_rows, **repeat_rows})
