"""Import groups and households from KoboToolbox / ODK / SurveyCTO exports (CSV, XLSX, ZIP).

A run is previewed first: every row is written inside a transaction that is then rolled
back, so the preview shows exactly the errors a commit would meet. A commit writes all rows
or none. Rows carry their submission id (``_uuid``, ``KEY``, ``meta-instanceID``); importing
the same export again updates those records instead of adding new ones.

Uploads are checked before they are parsed (size, type, packed/unpacked ratio, declared sheet
dimensions, rows and cells); the web page keeps an upload on disk (never in the database)
only until it is committed or fails, and at most :data:`UPLOAD_KEEP`.
"""

from __future__ import annotations

import io
import re
import secrets
import shutil
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path, PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from welcomematch.accounts.models import User
from welcomematch.accounts.services import audit_record
from welcomematch.core import tabular
from welcomematch.intake import questions as q
from welcomematch.intake.models import (
    Household,
    ImportMapping,
    ImportRun,
    Postcode,
    WelcomeGroup,
)
from welcomematch.intake.services import group_save_answers, household_save_answers
from welcomematch.programmes.models import City, Programme

ERR_NO_ROWS = "The export has no rows."
ERR_NO_FILES = "Upload at least one CSV, XLSX or ZIP file."
ERR_UNREADABLE = "{name}: cannot be read as CSV, XLSX or ZIP ({problem})."
ERR_REQUIRED = "This answer is required."
ERR_UNKNOWN_CITY = "Unknown city {city!r}."
ERR_NO_PARENT = "No main row with _index/KEY {parent!r}."
ERR_MISSING_COLUMN = (
    'No column answers the required question {field!r}: map one with --map "HEADER={field}" '
    "(or on the import page)."
)
ERR_TOO_LARGE = "{name}: the file is {size} MB; at most {limit} MB can be imported at once."
ERR_TOTAL_TOO_LARGE = (
    "The files are {size} MB together; at most {limit} MB can be imported at once."
)
ERR_TOO_MANY_ROWS = "{name}: more than {limit} rows; import the export in parts."
ERR_TOO_MANY_CELLS = "{name}: more than {limit} cells in all; import the export in parts."
ERR_DIMENSION = (
    "{name}: sheet {sheet!r} declares {cells} cells ({ref}); at most {limit} can be imported. "
    "Copy the data into a new workbook and save it again."
)
ERR_COMPRESSION = (
    "{name}: {member!r} unpacks to {ratio}× its packed size (at most {limit}×); this is not "
    "a survey export."
)
ERR_UNPACKED_TOO_LARGE = "{name}: unpacks to more than {limit} MB; import the export in parts."
ERR_WRONG_TYPE = (
    "{name}: this is not a CSV, XLSX or ZIP file ({kind}). Download the export again as "
    "XLSX or CSV."
)
ERR_XLS = "{name}: old Excel (.xls) files cannot be read; save it as .xlsx (Excel Workbook)."
ERR_ZIP_EMPTY = "{name}: the ZIP file holds no CSV or XLSX file."
ERR_NO_REPEAT = (
    "This export holds no {section} (no repeat sheet or file): {hint} Choose an export that "
    "includes the repeat groups: KoboToolbox → XLS(X) export; ODK Central → 'CSV (zip)' "
    "(the .csv.zip with one file per repeat) or Briefcase's export; SurveyCTO → long format "
    "(one file per repeat group), all files together."
)
HINT_WIDE = "its columns {example} are SurveyCTO's wide format, one column per member."
HINT_CSV_ONLY = "a single CSV file (KoboToolbox's CSV export) carries only the main table."
ERR_MAP_SYNTAX = (
    "--map {item!r}: write HEADER=FIELD (FIELD/CHOICE for a 0/1 column, empty to ignore)."
)
ERR_MAP_TARGET = "--map {item!r}: {target!r} is not a question of this form{hint}"
ERR_UNKNOWN_HEADER = (
    "column {header!r} is not a question of this form and is left out{hint}; "
    'to use it: --map "{header}=FIELD", to silence this: --map "{header}="'
)
ERR_NOT_PREVIEWED = "Only a previewed import without errors can be committed."
ERR_CONCURRENT = (
    "Another change wrote the same records at the same moment; nothing was imported. "
    "Run the import again. ({problem})"
)
ERR_UPLOAD_GONE = (
    "The uploaded files are no longer kept (they are removed after a day or once processed); "
    "upload the export again."
)

#: Upload limits, checked before any parsing.
MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_TOTAL_BYTES = 150 * 1024 * 1024
MAX_ROWS = 1_000_000
MAX_CELLS = 30_000_000
MAX_UNPACKED_BYTES = 600 * 1024 * 1024
MAX_RATIO = 100
MAX_ZIP_MEMBERS = 200
#: How long an uploaded export is kept for its commit, whatever happens.
UPLOAD_KEEP = timedelta(days=1)


@dataclass
class RowError:
    sheet: str
    row: int
    column: str
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "field": self.field,
            "message": self.message,
        }

    def __str__(self) -> str:
        where = f"{self.sheet} row {self.row}" if self.row else self.sheet
        column = f", column {self.column!r}" if self.column else ""
        return f"{where}{column} ({self.field or 'row'}): {self.message}"


@dataclass
class ParsedRow:
    sheet: str
    row: int
    uuid: str
    city: str
    answers: dict[str, Any] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    repeat_rows: dict[str, list[tuple[str, int, dict[str, str]]]] = field(default_factory=dict)


# --- reading files (limits first) --------------------------------------------------------


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.0f}"


def check_upload_sizes(files: Sequence[tuple[str, int]]) -> None:
    """Refuse files above the size limits, from their sizes alone (before reading them)."""
    if not files:
        raise ValidationError(ERR_NO_FILES)
    for name, size in files:
        if size > MAX_FILE_BYTES:
            raise ValidationError(
                ERR_TOO_LARGE.format(name=name, size=_mb(size), limit=_mb(MAX_FILE_BYTES))
            )
    total = sum(size for _name, size in files)
    if total > MAX_TOTAL_BYTES:
        raise ValidationError(
            ERR_TOTAL_TOO_LARGE.format(size=_mb(total), limit=_mb(MAX_TOTAL_BYTES))
        )


def read_tables(files: Sequence[tuple[str, bytes]]) -> list[tabular.Table]:
    """Every sheet of every file, in order; CSV files are named by their file stem.

    XLSX workbooks, CSV files (UTF-8, UTF-16, Windows-1252) and ZIP files of CSV files (ODK
    Central's ``.csv.zip``) are read; the limits are checked before each is parsed.
    """
    check_upload_sizes([(name, len(content)) for name, content in files])
    tables: list[tabular.Table] = []
    cells = [0]
    for name, content in files:
        try:
            tables.extend(_read_file(name, content, cells))
        except ValidationError:
            raise
        except tabular.UnreadableText as problem:
            raise ValidationError(ERR_UNREADABLE.format(name=name, problem=problem)) from None
        except Exception as error:  # openpyxl and zipfile raise many kinds for a broken file
            raise ValidationError(ERR_UNREADABLE.format(name=name, problem=error)) from None
    return tables


_MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"MZ", "a program"),
    (b"\x7fELF", "a program"),
)


def _read_file(name: str, content: bytes, cells: list[int]) -> list[tabular.Table]:
    if content[:4] == b"PK\x03\x04" or content[:4] == b"PK\x05\x06":
        archive = zipfile.ZipFile(io.BytesIO(content))
        _check_archive(name, archive)
        names = {info.filename for info in archive.infolist()}
        if "[Content_Types].xml" in names:
            return _read_xlsx(name, archive, cells)
        return _read_zip(name, archive, cells)
    if content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ValidationError(ERR_XLS.format(name=name))
    for magic, kind in _MAGIC:
        if content.startswith(magic):
            raise ValidationError(ERR_WRONG_TYPE.format(name=name, kind=kind))
    return [_read_csv(name, content, cells)]


def _read_csv(name: str, content: bytes, cells: list[int]) -> tabular.Table:
    # A cheap upper bound on the records, before parsing: every record ends in a line break.
    if content.count(b"\n") > MAX_ROWS + 1:
        raise ValidationError(ERR_TOO_MANY_ROWS.format(name=name, limit=MAX_ROWS))
    stem = PurePath(name).name
    for suffix in (".csv", ".txt", ".tsv"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    try:
        table = tabular.read_csv_bytes(
            content, name=stem, max_rows=MAX_ROWS, max_cells=MAX_CELLS - cells[0]
        )
    except tabular.UnreadableText as problem:
        if "more than" in str(problem) and "cells" in str(problem):
            raise ValidationError(ERR_TOO_MANY_CELLS.format(name=name, limit=MAX_CELLS)) from None
        if "more than" in str(problem):
            raise ValidationError(ERR_TOO_MANY_ROWS.format(name=name, limit=MAX_ROWS)) from None
        raise
    cells[0] += sum(len(row) for row in table.rows)
    return table


def _check_archive(name: str, archive: zipfile.ZipFile) -> None:
    """Refuse zip bombs from the archive's directory, before anything is unpacked."""
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_MEMBERS + 20:
        raise ValidationError(ERR_ZIP_EMPTY.format(name=name))
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ValidationError(
                ERR_COMPRESSION.format(
                    name=name,
                    member=info.filename,
                    ratio=info.file_size // max(info.compress_size, 1),
                    limit=MAX_RATIO,
                )
            )
    if total > MAX_UNPACKED_BYTES:
        raise ValidationError(
            ERR_UNPACKED_TOO_LARGE.format(name=name, limit=_mb(MAX_UNPACKED_BYTES))
        )


def _unpack(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> bytes:
    """A member's bytes, reading no more than its declared size (a lying header is refused)."""
    with archive.open(info) as member:
        data = member.read(info.file_size + 1)
    if len(data) > info.file_size:
        raise ValidationError(ERR_UNPACKED_TOO_LARGE.format(name=name, limit=_mb(info.file_size)))
    return data


def _read_zip(name: str, archive: zipfile.ZipFile, cells: list[int]) -> list[tabular.Table]:
    """ODK Central's ``.csv.zip`` (and any ZIP of CSV or XLSX exports): every file in it."""
    tables: list[tabular.Table] = []
    for info in archive.infolist():
        member = PurePath(info.filename)
        if info.is_dir() or member.name.startswith(".") or "__MACOSX" in member.parts:
            continue
        lowered = member.name.lower()
        if lowered.endswith((".csv", ".tsv", ".txt")):
            tables.append(_read_csv(member.name, _unpack(archive, info, name), cells))
        elif lowered.endswith(".xlsx"):
            tables.extend(_read_file(member.name, _unpack(archive, info, name), cells))
    if not tables:
        raise ValidationError(ERR_ZIP_EMPTY.format(name=name))
    return tables


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]+)?(\d+)?(?::([A-Z]+)(\d+))?\"")


def _column_number(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number


def _read_xlsx(name: str, archive: zipfile.ZipFile, cells: list[int]) -> list[tabular.Table]:
    from openpyxl import load_workbook

    for info in archive.infolist():
        if not re.match(r"xl/worksheets/sheet\d*\.xml$", info.filename):
            continue
        with archive.open(info) as member:
            start = member.read(4096)
        found = _DIMENSION.search(start)
        if found and found.group(3):
            first_col = _column_number(found.group(1).decode()) if found.group(1) else 1
            first_row = int(found.group(2) or 1)
            last_col = _column_number(found.group(3).decode())
            last_row = int(found.group(4))
            declared = (last_col - first_col + 1) * (last_row - first_row + 1)
            if declared > MAX_CELLS or last_row > MAX_ROWS + 1:
                raise ValidationError(
                    ERR_DIMENSION.format(
                        name=name,
                        sheet=info.filename.rsplit("/", 1)[-1],
                        cells=declared,
                        ref=found.group(0).decode().split('"')[1],
                        limit=MAX_CELLS,
                    )
                )
    workbook = load_workbook(archive.fp, read_only=True, data_only=True)
    tables = []
    try:
        for sheet in workbook.worksheets:
            # The declared dimensions were checked; do not let the reader pad rows to them.
            sheet.reset_dimensions()
            table: tabular.Table | None = None
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                row = list(values)
                while row and row[-1] is None:
                    row.pop()
                if table is None:
                    table = tabular.Table(
                        name=sheet.title, headers=[tabular.cell_text(h) for h in row]
                    )
                    continue
                if not any(tabular.cell_text(c) for c in row):
                    continue
                if len(table.rows) >= MAX_ROWS:
                    raise ValidationError(ERR_TOO_MANY_ROWS.format(name=name, limit=MAX_ROWS))
                cells[0] += len(row)
                if cells[0] > MAX_CELLS:
                    raise ValidationError(ERR_TOO_MANY_CELLS.format(name=name, limit=MAX_CELLS))
                if len(row) > len(table.headers):
                    table.problems.append(
                        (
                            number,
                            tabular.ERR_EXTRA_CELLS.format(
                                cells=len(row), headers=len(table.headers)
                            ),
                        )
                    )
                table.rows.append(row)
                table.numbers.append(number)
            if table is not None:
                tables.append(table)
    finally:
        workbook.close()
    return tables


# --- from questions to field specs -------------------------------------------------------


def field_specs(questions: Sequence[q.Question]) -> list[tabular.FieldSpec]:
    specs = []
    for question in questions:
        options = q.choices(question.choices) if question.choices else ()
        if question.kind == q.BOOLEAN:
            options = q.FIXED_CHOICES["yes_no"]
        specs.append(
            tabular.FieldSpec(
                name=question.name,
                kind=question.kind,
                labels=(question.nl, question.en),
                choices=tuple(tabular.ChoiceSpec(c.code, (c.nl, c.en)) for c in options),
            )
        )
    return specs


def _note_specs(
    questionnaire: q.Questionnaire, sections: Sequence[q.Section]
) -> list[tabular.FieldSpec]:
    """The notes the XLSForm carries (section introductions): columns without answers."""
    return [
        tabular.FieldSpec(
            name=f"{section.name}_intro",
            kind=tabular.NOTE,
            labels=(section.intro_nl, section.intro_en),
        )
        for section in sections
        if section.intro_nl
    ]


def _group_tokens(questionnaire: q.Questionnaire) -> list[str]:
    return [token for s in questionnaire.sections for token in (s.name, s.nl, s.en)]


def _main_sections(questionnaire: q.Questionnaire) -> list[q.Section]:
    return [s for s in questionnaire.sections if not s.repeat]


def _is_repeat_table(table: tabular.Table) -> bool:
    return table.role_column("parent") is not None


def _repeat_name(
    table: tabular.Table,
    questionnaire: q.Questionnaire,
    specs: Mapping[str, list[tabular.FieldSpec]],
) -> str | None:
    """The repeat a sheet or file holds: by its name (``members``, ``form-members``), else by
    which repeat's questions its columns answer."""
    lowered = table.name.lower()
    for section in questionnaire.repeats:
        if re.search(rf"(^|[^a-z]){re.escape(section.name)}($|[^a-z])", lowered) or (
            section.nl.lower() in lowered or section.en.lower() in lowered
        ):
            return section.name
    best, best_count = None, 0
    for section in questionnaire.repeats:
        columns, _unknown = tabular.resolve_columns(table.headers, specs[section.name])
        if len(columns) > best_count:
            best, best_count = section.name, len(columns)
    return best


def _wide_columns(headers: Sequence[str], specs: Sequence[tabular.FieldSpec]) -> list[str]:
    """SurveyCTO's wide format: repeat questions as ``first_name_1``, ``first_name_2``."""
    names = {s.name for s in specs if s.kind != tabular.NOTE}
    found = []
    for header in headers:
        last = re.split(r"[/\-.:|]", header.strip())[-1]
        match = re.match(r"^(.*)_(\d+)$", last)
        if match and match.group(1) in names:
            found.append(header)
    return found


class MissingColumns(ValidationError):
    """Required questions without a column: the mapping can put this right."""

    def __init__(self, messages: list[str], *, described: dict[str, Any]) -> None:
        super().__init__(messages)
        self.described = described


@dataclass
class ExportDescription:
    main: str = ""
    columns: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    ignored: dict[str, list[str]] = field(default_factory=dict)
    unknown: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    missing: dict[str, list[str]] = field(default_factory=dict)
    file_errors: list[str] = field(default_factory=list)
    rejected: int = 0
    encodings: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "main": self.main,
            "columns": self.columns,
            "ignored": self.ignored,
            "unknown": self.unknown,
            "missing": self.missing,
            "rejected": self.rejected,
            "encodings": self.encodings,
        }


def _describe_unknown(
    sheet: str, headers: Sequence[str], specs: Sequence[tabular.FieldSpec]
) -> list[dict[str, Any]]:
    return [
        {"header": header, "closest": tabular.closest_names(header, specs)} for header in headers
    ]


def parse_export(
    questionnaire: q.Questionnaire,
    tables: Sequence[tabular.Table],
    saved: Mapping[str, str] | None = None,
) -> tuple[list[ParsedRow], dict[str, Any]]:
    """Rows of answers with their conversion errors, plus a description of the columns.

    Raises ValidationError for a problem of the whole export (no rows, a required question
    without a column, repeat groups missing from the export).
    """
    mains = [t for t in tables if not _is_repeat_table(t)]
    mains = [t for t in mains if t.rows] or mains
    if not mains or not mains[0].rows:
        raise ValidationError(ERR_NO_ROWS)
    main = mains[0]
    groups = _group_tokens(questionnaire)
    main_questions = questionnaire.main_questions()
    main_specs = field_specs(main_questions)
    main_all = [*main_specs, *_note_specs(questionnaire, _main_sections(questionnaire))]
    columns, unknown = tabular.resolve_columns(main.headers, main_all, saved, groups=groups)
    city_index = main.column("city", "stad", "gemeente")
    if city_index is not None:
        unknown = [h for h in unknown if h != main.headers[city_index]]
    described = ExportDescription(main=main.name)
    for table in tables:
        if table.encoding:
            described.encodings[table.name] = table.encoding
    described.columns[main.name] = [_describe(c) for c in columns]
    described.ignored[main.name] = unknown
    described.unknown[main.name] = _describe_unknown(main.name, unknown, main_all)
    mapped = {c.field for c in columns}
    missing_required = [
        question.name
        for question in main_questions
        if question.required and question.name not in mapped
    ]
    described.missing[main.name] = missing_required
    repeat_specs = {
        section.name: [
            *field_specs(questionnaire.in_section(section.name)),
            *_note_specs(questionnaire, [section]),
        ]
        for section in questionnaire.repeats
    }
    repeat_tables = [
        (t, _repeat_name(t, questionnaire, repeat_specs)) for t in tables if _is_repeat_table(t)
    ]
    problems: list[str] = [
        f"{main.name} row {number}: {message}" for number, message in main.problems
    ]
    for section in questionnaire.repeats:
        if any(name == section.name for _t, name in repeat_tables):
            continue
        if not any(q_.required for q_ in questionnaire.in_section(section.name)):
            continue
        wide = _wide_columns(main.headers, repeat_specs[section.name])
        hint = (
            HINT_WIDE.format(example=", ".join(repr(h) for h in wide[:3]))
            if wide
            else HINT_CSV_ONLY
        )
        problems.append(ERR_NO_REPEAT.format(section=section.en.lower(), hint=hint))
    for table, _name in repeat_tables:
        problems.extend(f"{table.name} row {n}: {m}" for n, m in table.problems)
    if problems:
        raise ValidationError(problems)
    if missing_required:
        raise MissingColumns(
            [f"{main.name}: " + ERR_MISSING_COLUMN.format(field=name) for name in missing_required],
            described=described.as_dict(),
        )

    uuid_index = main.role_column("uuid")
    if uuid_index is None:
        uuid_index = main.role_column("key")
    if uuid_index is None:
        uuid_index = main.role_column("id")
    index_index = main.role_column("index")
    key_index = main.role_column("key")
    review_index = main.role_column("review")
    parsed: list[ParsedRow] = []
    by_key: dict[str, ParsedRow | None] = {}
    spec_by_name = {s.name: s for s in main_specs}
    choice_fields = {c.field for c in columns if c.choice}
    blank = {question.name: None for question in main_questions}
    memo: dict[tuple[str, str, type, object], object] = {}
    for position, values in enumerate(main.rows):
        number = main.row_number(position)
        keys = [
            tabular.cell_text(_cell(values, i)) for i in (index_index, key_index) if i is not None
        ] or [str(position + 1)]
        if review_index is not None and tabular.is_rejected(_cell(values, review_index)):
            described.rejected += 1
            for key in keys:
                by_key[key] = None
            continue
        row = ParsedRow(
            sheet=main.name,
            row=number,
            uuid=tabular.submission_id(_cell(values, uuid_index)),
            city=tabular.cell_text(_cell(values, city_index)),
        )
        row.answers.update(blank)
        _convert_row(row, values, columns, spec_by_name, choice_fields, memo)
        _check_required(
            row,
            questionnaire,
            mapped,
            sections=[s.name for s in q.non_repeat_sections(questionnaire)],
        )
        parsed.append(row)
        for key in keys:
            by_key[key] = row
        if uuid_index is not None:
            by_key.setdefault(tabular.cell_text(_cell(values, uuid_index)), row)
    for section in questionnaire.repeats:
        for row in parsed:
            row.answers[section.name] = []
    for table, section_name in repeat_tables:
        if section_name is None:
            described.ignored[table.name] = list(table.headers)
            continue
        section_questions = questionnaire.in_section(section_name)
        repeat_columns, repeat_unknown = tabular.resolve_columns(
            table.headers, repeat_specs[section_name], saved, groups=groups
        )
        described.columns[table.name] = [_describe(c) for c in repeat_columns]
        described.ignored[table.name] = repeat_unknown
        described.unknown[table.name] = _describe_unknown(
            table.name, repeat_unknown, repeat_specs[section_name]
        )
        parent_index = table.role_column("parent")
        specs = {s.name: s for s in repeat_specs[section_name]}
        repeat_choice_fields = {c.field for c in repeat_columns if c.choice}
        repeat_mapped = {c.field for c in repeat_columns}
        repeat_blank = {question.name: None for question in section_questions}
        for position, values in enumerate(table.rows):
            number = table.row_number(position)
            parent_key = tabular.cell_text(_cell(values, parent_index))
            if parent_key in by_key:
                parent = by_key[parent_key]
                if parent is None:  # a repeat row of a rejected submission
                    continue
            else:
                orphan = ParsedRow(sheet=table.name, row=number, uuid="", city="")
                orphan.errors.append(
                    RowError(
                        table.name,
                        number,
                        table.headers[parent_index or 0],
                        "",
                        ERR_NO_PARENT.format(parent=parent_key),
                    )
                )
                parsed.append(orphan)
                continue
            holder = ParsedRow(sheet=table.name, row=number, uuid="", city="")
            holder.answers.update(repeat_blank)
            _convert_row(holder, values, repeat_columns, specs, repeat_choice_fields, memo)
            _check_required(holder, questionnaire, repeat_mapped, sections=[section_name])
            parent.errors.extend(holder.errors)
            parent.answers[section_name].append(holder.answers)
            parent.repeat_rows.setdefault(section_name, []).append(
                (table.name, number, holder.columns)
            )
    return parsed, described.as_dict()


def _describe(column: tabular.Column) -> dict[str, str]:
    return {"header": column.header, "field": column.field, "choice": column.choice}


def _cell(values: Sequence[object], index: int | None) -> object:
    if index is None or index >= len(values):
        return None
    return values[index]


#: Cells converted once per distinct value and column (choices, numbers, dates, 0/1 columns
#: repeat across rows); at most this many remembered in one import.
_MEMO_LIMIT = 200_000
_MEMO_KINDS = frozenset(
    {
        tabular.SELECT_ONE,
        tabular.SELECT_MULTIPLE,
        tabular.RANK,
        tabular.INTEGER,
        tabular.DECIMAL,
        tabular.DATE,
        tabular.BOOLEAN,
        tabular.ACKNOWLEDGE,
    }
)


def _convert_cell(
    memo: dict[tuple[str, str, type, object], object] | None,
    column: tabular.Column,
    spec: tabular.FieldSpec,
    raw: object,
) -> object:
    """``truthy`` of a 0/1 column or ``convert`` of any other cell, each distinct value once."""
    if (
        memo is None
        or not (column.choice or spec.kind in _MEMO_KINDS)
        or not isinstance(raw, str | int | float | None)
    ):
        return tabular.truthy(raw) if column.choice else tabular.convert(spec, raw)
    key = (column.field, column.choice, type(raw), raw)
    try:
        found = memo[key]
    except KeyError:
        try:
            found = tabular.truthy(raw) if column.choice else tabular.convert(spec, raw)
        except tabular.ValueProblem as problem:
            found = problem
        if len(memo) < _MEMO_LIMIT:
            memo[key] = found
    if isinstance(found, tabular.ValueProblem):
        raise tabular.ValueProblem(str(found))
    return list(found) if isinstance(found, list) else found


def _convert_row(
    row: ParsedRow,
    values: Sequence[object],
    columns: Sequence[tabular.Column],
    specs: Mapping[str, tabular.FieldSpec],
    choice_fields: set[str],
    memo: dict[tuple[str, str, type, object], object] | None = None,
) -> None:
    """Convert the cells of one row; a select_multiple with 0/1 columns is read from them
    (its summary column then only gives the order, when it can be read), otherwise from its
    summary column."""
    order: dict[str, list[str]] = {}
    for column in columns:
        spec = specs[column.field]
        if spec.kind == tabular.NOTE:
            continue
        raw = _cell(values, column.index)
        row.columns.setdefault(column.field, column.header)
        try:
            if column.choice:
                chosen = _convert_cell(memo, column, spec, raw)
                answers = row.answers.get(column.field)
                if not isinstance(answers, list):
                    answers = row.answers[column.field] = []
                if chosen and column.choice not in answers:
                    answers.append(column.choice)
            elif column.field in choice_fields:
                try:
                    summary = _convert_cell(memo, column, spec, raw)
                except tabular.ValueProblem:
                    continue
                if isinstance(summary, list):
                    order[column.field] = summary
            else:
                row.answers[column.field] = _convert_cell(memo, column, spec, raw)
        except tabular.ValueProblem as problem:
            row.errors.append(
                RowError(row.sheet, row.row, column.header, column.field, str(problem))
            )
    for name, summary in order.items():
        picked = row.answers.get(name)
        if isinstance(picked, list):
            rank = {code: position for position, code in enumerate(summary)}
            picked.sort(key=lambda code: rank.get(code, len(rank)))


def _check_required(
    row: ParsedRow, questionnaire: q.Questionnaire, mapped: set[str], *, sections: Sequence[str]
) -> None:
    for section in sections:
        for name in q.missing_answers(questionnaire, row.answers, section=section):
            if name in mapped:
                row.errors.append(
                    RowError(row.sheet, row.row, row.columns.get(name, ""), name, ERR_REQUIRED)
                )


# --- the column mapping given by hand ------------------------------------------------------


def mapping_targets(kind: str) -> dict[str, str]:
    """Every valid mapping target of a questionnaire → its question label (``field`` or
    ``field/choice`` for a 0/1 column)."""
    questionnaire = _questionnaire(kind)
    targets: dict[str, str] = {}
    for spec, question in zip(
        field_specs(questionnaire.questions), questionnaire.questions, strict=True
    ):
        targets[spec.name] = question.label
        if spec.kind == tabular.SELECT_MULTIPLE:
            for choice in spec.choices:
                targets[f"{spec.name}/{choice.code}"] = f"{question.label}: {choice.labels[0]}"
    return targets


def parse_mapping(items: Sequence[str], *, kind: str) -> dict[str, str]:
    """``HEADER=FIELD`` items (``FIELD/CHOICE``, or empty to ignore) as a mapping.

    Raises ValidationError naming each item without ``=`` or with a target that is not a
    question (or choice) of the questionnaire, with the closest valid targets.
    """
    targets = mapping_targets(kind)
    mapping: dict[str, str] = {}
    errors: list[str] = []
    for item in items:
        header, sep, target = item.partition("=")
        header, target = header.strip(), target.strip()
        if not sep or not header:
            errors.append(ERR_MAP_SYNTAX.format(item=item))
            continue
        if target and target not in targets:
            import difflib

            close = difflib.get_close_matches(target, list(targets), n=3, cutoff=0.5)
            hint = f"; did you mean {' or '.join(close)}?" if close else "."
            errors.append(ERR_MAP_TARGET.format(item=item, target=target, hint=hint))
            continue
        mapping[header] = target
    if errors:
        raise ValidationError(errors)
    return mapping


# --- writing -----------------------------------------------------------------------------


def _questionnaire(kind: str) -> q.Questionnaire:
    return q.QUESTIONNAIRES[kind]


def _error_from_field(row: ParsedRow, key: str, message: str) -> RowError:
    """Map a service's error key (``postcode``, ``members.2.age``) back to sheet, row, column."""
    parts = key.split(".")
    if len(parts) == 3 and parts[0] in row.repeat_rows and parts[1].isdigit():
        rows = row.repeat_rows[parts[0]]
        index = int(parts[1])
        if index < len(rows):
            sheet, number, columns = rows[index]
            return RowError(sheet, number, columns.get(parts[2], ""), parts[2], message)
    field_name = "" if key == "__all__" else key
    return RowError(row.sheet, row.row, row.columns.get(field_name, ""), field_name, message)


class _Locator:
    """Postcode → coordinates for every row of an import from one query (PC4 fallback), with
    the same rule and messages as :func:`welcomematch.intake.services.resolve_location`."""

    def __init__(self, country: str) -> None:
        self.country = country
        self.table = {
            code: (lat, lon)
            for code, lat, lon in Postcode.objects.filter(country=country).values_list(
                "code", "latitude", "longitude"
            )
        }

    def locate(self, fields: dict[str, Any]) -> None:
        from welcomematch.intake import services

        postcode, lat, lon = fields["postcode"], fields["latitude"], fields["longitude"]
        if lat is not None and lon is not None:
            fields["postcode"] = (
                services.normalise_postcode(postcode, country=self.country) if postcode else ""
            )
            return
        if not postcode:
            raise ValidationError({"postcode": services.ERR_NO_LOCATION})
        try:
            code = services.normalise_postcode(postcode, country=self.country)
        except ValidationError as error:
            raise ValidationError({"postcode": error.messages}) from None
        candidates = [code, code.split(" ")[0]] if " " in code else [code]
        for candidate in candidates:
            if candidate in self.table:
                fields["postcode"] = code
                fields["latitude"], fields["longitude"] = self.table[candidate]
                return
        if not self.table:
            raise ValidationError({"postcode": services.ERR_POSTCODE_TABLE_EMPTY})
        raise ValidationError({"postcode": services.ERR_POSTCODE_UNKNOWN.format(code=code)})


#: Internal field types whose Python value the database drivers take as it is (the value has
#: passed the field's own checks, so its ``get_db_prep_save`` would return it unchanged).
_AS_IS = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "FloatField",
        "ForeignKey",
        "IntegerField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "TextField",
    }
)
#: Value types whose check result is remembered per field (they repeat across rows).
_REPEATING = (bool, int, float, str, date, type(None))


class _FieldRules:
    """A model's field rules applied to plain values: what ``clean_fields()`` checks (each
    field's ``clean()``: its type, blank/null, choices, ``max_length`` and validators, with
    the same messages), without a model instance a row.

    The rules stay defined once, on the model's fields; a model with its own ``clean()``
    gets an instance after all, so no rule is skipped. Foreign keys are left out: the import
    sets them to rows it already holds.
    """

    def __init__(self, model: Any) -> None:
        from django.db import models

        self.model = model
        self.fields = [
            f
            for f in model._meta.concrete_fields
            if not f.primary_key and not f.is_relation and f.editable
        ]
        self.defaults = {f.attname: f.get_default() for f in self.fields}
        self.own_clean = model.clean is not models.Model.clean
        self.known: dict[str, dict[tuple[type, Any], tuple[Any, list[str]]]] = {
            f.attname: {} for f in self.fields
        }
        # Strings are remembered for fields with choices only (free text rarely repeats);
        # a plain text field's string only needs its validators (see check()).
        self.plan = [
            (
                f,
                f.attname,
                f.blank,
                f.empty_values,
                bool(f.choices),
                not f.choices and f.get_internal_type() in ("CharField", "TextField"),
                self.known[f.attname],
            )
            for f in self.fields
        ]

    def check(self, values: dict[str, Any], *, prefix: str = "") -> None:
        """Clean ``values`` in place (fields left out are their defaults, as on a new
        instance); raises ValidationError keyed ``{prefix}{field}`` like ``full_clean()``."""
        errors: dict[str, list[str]] = {}
        defaults = self.defaults
        for model_field, name, blank, empty, hashed, text, known in self.plan:
            given = name in values
            value = values[name] if given else defaults[name]
            if blank and value in empty:
                continue
            if text and type(value) is str:
                if not value:
                    key = None
                else:
                    # What field.clean() does with a non-empty string on a text field
                    # without choices: to_python and validate() pass it; validators decide.
                    try:
                        model_field.run_validators(value)
                    except ValidationError as error:
                        errors[f"{prefix}{name}"] = list(error.messages)
                    continue
            else:
                key = _frozen(value) if (hashed or not isinstance(value, str)) else None
            if key is not None and key in known:
                cleaned, messages = known[key]
                if messages:
                    errors[f"{prefix}{name}"] = messages
                elif given and not isinstance(value, list | dict):
                    values[name] = cleaned
                continue
            messages = []
            try:
                cleaned = model_field.clean(value, None)
            except ValidationError as error:
                cleaned, messages = value, list(error.messages)
            if key is not None and len(known) < _MEMO_LIMIT:
                known[key] = (cleaned, messages)
            if messages:
                errors[f"{prefix}{name}"] = messages
            elif given:
                values[name] = cleaned
        if not errors and self.own_clean:
            try:
                self.model(**values).clean()
            except ValidationError as error:
                details = (
                    error.message_dict
                    if hasattr(error, "error_dict")
                    else {"__all__": error.messages}
                )
                errors.update({f"{prefix}{k}": v for k, v in details.items()})
        if errors:
            raise ValidationError(errors)


def _frozen(value: Any) -> tuple[type, Any] | None:
    """A hashable stand-in for a value that repeats across rows (numbers, codes, moments,
    lists of codes, small dicts), or None."""
    if isinstance(value, _REPEATING):
        return (type(value), value)
    if isinstance(value, list) and all(type(item) is str for item in value):
        return (list, tuple(value))
    if isinstance(value, dict) and all(isinstance(v, _REPEATING) for v in value.values()):
        return (dict, tuple((k, type(v), v) for k, v in value.items()))
    return None


class _Writer:
    """Inserts rows of one model given as ``{attname: value}`` (validated by
    :class:`_FieldRules`): one multi-row ``INSERT`` per batch, as ``bulk_create`` sends, but
    without a model instance and an SQL compilation a row."""

    def __init__(self, model: Any, *, now: datetime) -> None:
        from django.db import connection

        self.connection = connection
        self.model = model
        self.fields = [f for f in model._meta.local_concrete_fields if not f.primary_key]
        self.names = [f.attname for f in self.fields]
        quote = connection.ops.quote_name
        self.table = quote(model._meta.db_table)
        self.columns = ", ".join(quote(f.column) for f in self.fields)
        self.as_is = [f.get_internal_type() in _AS_IS for f in self.fields]
        # created_at/updated_at: the moment of the import, as pre_save would set it.
        self.fixed = {
            f.attname: self._prep(f, now)
            for f in self.fields
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        }
        self.prepared: list[dict[Any, Any]] = [{} for _field in self.fields]
        self.defaults = [self._prep(f, f.get_default()) for f in self.fields]
        limit = connection.features.max_query_params or 30000
        self.batch = max(1, min(2000, limit // len(self.fields)))
        pk = model._meta.pk
        self.returning = ""
        if connection.features.can_return_rows_from_bulk_insert:
            self.returning, _params = connection.ops.return_insert_columns([pk])

    def _prep(self, field: Any, value: Any) -> Any:
        return field.get_db_prep_save(value, self.connection)

    def params(self, row: Mapping[str, Any]) -> list[Any]:
        out = []
        fixed, defaults, as_is = self.fixed, self.defaults, self.as_is
        for index, name in enumerate(self.names):
            if name in fixed:
                out.append(fixed[name])
            elif name not in row:
                out.append(defaults[index])
            else:
                value = row[name]
                if as_is[index] or value is None:
                    out.append(value)
                else:
                    # Moments, code lists and small dicts repeat (the consent moment, the
                    # ranking, the audit details): each distinct one is prepared once.
                    key = _frozen(value)
                    if key is None:
                        out.append(self._prep(self.fields[index], value))
                        continue
                    prepared = self.prepared[index]
                    if key not in prepared:
                        if len(prepared) > _MEMO_LIMIT:
                            prepared.clear()
                        prepared[key] = self._prep(self.fields[index], value)
                    out.append(prepared[key])
        return out

    def insert(self, rows: Sequence[Mapping[str, Any]], *, returning: bool = False) -> list[int]:
        """Insert ``rows``; with ``returning``, their new primary keys in row order."""
        if not rows:
            return []
        if self.connection.vendor == "postgresql":
            return self._copy(rows, returning=returning)
        ids: list[int] = []
        one = "(" + ", ".join(["%s"] * len(self.fields)) + ")"
        with self.connection.cursor() as cursor:
            for start in range(0, len(rows), self.batch):
                chunk = rows[start : start + self.batch]
                sql = f"INSERT INTO {self.table} ({self.columns}) VALUES " + ", ".join(
                    [one] * len(chunk)
                )
                params = [value for row in chunk for value in self.params(row)]
                if returning and self.returning:
                    cursor.execute(f"{sql} {self.returning}", params)
                    ids.extend(int(found[0]) for found in cursor.fetchall())
                else:
                    cursor.execute(sql, params)
        return ids

    def _copy(self, rows: Sequence[Mapping[str, Any]], *, returning: bool) -> list[int]:
        """PostgreSQL: ``COPY`` (a huge ``INSERT`` costs psycopg more to split than the server
        to run); the primary keys are drawn from the table's own sequence first, so concurrent
        writers never collide."""
        quote = self.connection.ops.quote_name
        pk = self.model._meta.pk
        columns = self.columns
        ids: list[int] = []
        with self.connection.cursor() as cursor:
            if returning:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [self.model._meta.db_table, pk.column, len(rows)],
                )
                ids = sorted(int(found[0]) for found in cursor.fetchall())
                columns = f"{quote(pk.column)}, {columns}"
            with cursor.cursor.copy(f"COPY {self.table} ({columns}) FROM STDIN") as copy:
                if returning:
                    for pk_value, row in zip(ids, rows, strict=True):
                        copy.write_row([pk_value, *self.params(row)])
                else:
                    for row in rows:
                        copy.write_row(self.params(row))
        return ids


class _BulkCreator:
    """New groups or households of one import, built and validated in memory, written in
    batches; each gets its ``*.created`` audit event like the services'.

    The records are made exactly as ``group_save_answers``/``household_save_answers`` make
    them (the same answers→fields functions, location rule, derived levels and the models'
    field rules), without the dozen queries a row those services need and without a model
    instance a row (``tests/intake/test_tool_exports.py`` compares both ways).
    """

    def __init__(self, *, programme: Programme, kind: str, actor: User | None) -> None:
        from welcomematch.accounts.context import current_ip
        from welcomematch.accounts.models import AuditEvent
        from welcomematch.core.levels import CapacityRule, VulnerabilityRule
        from welcomematch.intake.models import GroupMember, Person

        self.programme = programme
        self.kind = kind
        self.actor = actor if actor is not None and actor.pk else None
        self.audit_actor = (
            actor if actor is not None and actor.is_authenticated and actor.pk else None
        )
        self.ip_address = current_ip()
        self.locator = _Locator(programme.country)
        self.capacity = CapacityRule.from_dict(programme.capacity_rule)
        self.vulnerability = VulnerabilityRule.from_dict(programme.vulnerability_rule)
        self.records: list[dict[str, Any]] = []
        self.children: list[list[dict[str, Any]]] = []
        self.now = timezone.now()
        self.model: Any = WelcomeGroup if kind == "groups" else Household
        self.child_model: Any = GroupMember if kind == "groups" else Person
        self.rules = _FieldRules(self.model)
        self.child_rules = _FieldRules(self.child_model)
        self.writer = _Writer(self.model, now=self.now)
        self.child_writer = _Writer(self.child_model, now=self.now)
        self.audit_writer = _Writer(AuditEvent, now=self.now)
        self.object_type = self.model._meta.label_lower

    def build(self, *, row: ParsedRow, city: City) -> None:
        """Validate and keep one new record; raises ValidationError keyed like the services."""
        from welcomematch.intake import services

        if self.kind == "groups":
            fields, repeats = q.fields_from_answers(
                q.GROUP_QUESTIONNAIRE, row.answers, now=self.now
            )
            members = [services.MemberData(**item) for item in repeats["members"]]
            if not members:
                raise ValidationError({"members": services.ERR_MEMBERS_REQUIRED})
            fields["group_type"] = fields.get("group_type") or services.derive_group_type(members)
            self.locator.locate(fields)
            record = {
                "programme_id": self.programme.pk,
                "city_id": city.pk,
                "reference": "G-0000",
                "capacity": self.capacity.level(fields["willingness"], fields["experience"]),
                "intake_completed_at": self.now,
                "external_uuid": row.uuid,
                **fields,
            }
            children = [dict(m.__dict__) for m in members]
            prefix = "members"
        else:
            fields, repeats = q.fields_from_answers(
                q.HOUSEHOLD_QUESTIONNAIRE, row.answers, now=self.now
            )
            persons = [services.PersonData(**item) for item in repeats["persons"]]
            if not persons:
                raise ValidationError({"persons": services.ERR_PERSONS_REQUIRED})
            htype = services.derive_household_type(persons)
            self.locator.locate(fields)
            fields["support_flags"] = {k: bool(v) for k, v in fields["support_flags"].items()}
            record = {
                "programme_id": self.programme.pk,
                "city_id": city.pk,
                "reference": "H-0000",
                "household_type": htype,
                "vulnerability": self.vulnerability.level(
                    fields["ssm_scores"], fields["support_flags"], htype
                ),
                "interviewer_id": self.actor.pk if self.actor is not None else None,
                "intake_completed_at": self.now,
                "external_uuid": row.uuid,
                **fields,
            }
            children = [{"relation": p.relation, "age": p.age, "gender": p.gender} for p in persons]
            prefix = "persons"
        unknown = set(record) - set(self.writer.names)
        if unknown:
            raise TypeError(f"{self.model.__name__}: unexpected fields {sorted(unknown)}")
        self.rules.check(record)
        for index, child in enumerate(children):
            self.child_rules.check(child, prefix=f"{prefix}.{index}.")
        self.records.append(record)
        self.children.append(children)

    def reserve(self) -> None:
        """Take the first free reference once; records are numbered from it in row order."""
        from welcomematch.intake import services

        letter = "G" if self.kind == "groups" else "H"
        self.letter = letter
        self.next_number = int(services.next_reference(letter, self.model).split("-")[1])

    def flush(self) -> list[str]:
        """Write the records kept so far (then forget them); returns their references."""
        if not self.records:
            return []
        for record in self.records:
            record["reference"] = f"{self.letter}-{self.next_number:04d}"
            self.next_number += 1
        ids = self.writer.insert(self.records, returning=True)
        if len(ids) != len(self.records):  # a database without INSERT … RETURNING
            references = [r["reference"] for r in self.records]
            found: dict[str, int] = {}
            for start in range(0, len(references), 500):
                found.update(
                    self.model.objects.filter(
                        reference__in=references[start : start + 500]
                    ).values_list("reference", "pk")
                )
            ids = [found[reference] for reference in references]
        parent = "group_id" if self.kind == "groups" else "household_id"
        rows = []
        for pk, children in zip(ids, self.children, strict=True):
            for child in children:
                child[parent] = pk
                rows.append(child)
        self.child_writer.insert(rows)
        noun = "members" if self.kind == "groups" else "persons"
        action = "group.created" if self.kind == "groups" else "household.created"
        actor_id = self.audit_actor.pk if self.audit_actor is not None else None
        self.audit_writer.insert(
            [
                {
                    "actor_id": actor_id,
                    "action": action,
                    "object_type": self.object_type,
                    "object_id": str(pk),
                    "data": {noun: len(children)},
                    "ip_address": self.ip_address,
                    "programme_id": self.programme.pk,
                }
                for pk, children in zip(ids, self.children, strict=True)
            ]
        )
        references = [record["reference"] for record in self.records]
        self.records, self.children = [], []
        return references


#: New records are written in chunks of this many (memory stays flat for large imports).
BULK_CHUNK = 2000


def _flush(bulk: _BulkCreator, pending: list[int], results: list[dict[str, Any]]) -> None:
    """Write the kept new records and put their references in their rows' results."""
    with transaction.atomic():
        references = bulk.flush()
    for position, reference in zip(pending, references, strict=True):
        results[position]["reference"] = reference
    pending.clear()


def apply_rows(
    *,
    programme: Programme,
    city: City | None,
    kind: str,
    rows: Sequence[ParsedRow],
    actor: User | None,
    dry_run: bool,
) -> dict[str, Any]:
    """Write every row in one transaction; roll it back for a dry run or when any row fails."""
    model: type[WelcomeGroup] | type[Household] = WelcomeGroup if kind == "groups" else Household
    results: list[dict[str, Any]] = []
    created = updated = 0
    cities = {c.name.lower(): c for c in City.objects.filter(programme=programme)}
    uuids = {row.uuid for row in rows if row.uuid}
    existing_by_uuid: dict[str, Any] = {}
    uuid_list = list(uuids)
    for start in range(0, len(uuid_list), 5000):
        for found in model.objects.filter(
            programme=programme, external_uuid__in=uuid_list[start : start + 5000]
        ).select_related("programme"):
            existing_by_uuid[found.external_uuid] = found
    seen: dict[str, int] = {}
    bulk = _BulkCreator(programme=programme, kind=kind, actor=actor)
    pending: list[int] = []
    failed = False
    clash: IntegrityError | None = None
    with transaction.atomic():
        bulk.reserve()
        for row in rows:
            errors = list(row.errors)
            action = ""
            reference = ""
            row_city = cities.get(row.city.lower()) if row.city else city
            if row.city and row_city is None:
                errors.append(
                    RowError(
                        row.sheet, row.row, "city", "city", ERR_UNKNOWN_CITY.format(city=row.city)
                    )
                )
            if row_city is None and not errors and row.sheet:
                errors.append(RowError(row.sheet, row.row, "city", "city", ERR_REQUIRED))
            if row.uuid and row.uuid in seen:
                errors.append(
                    RowError(
                        row.sheet,
                        row.row,
                        "",
                        "",
                        f"the same submission ({row.uuid}) as row {seen[row.uuid]}",
                    )
                )
            elif row.uuid:
                seen[row.uuid] = row.row
            existing = existing_by_uuid.get(row.uuid) if row.uuid else None
            if not errors and row_city is not None and existing is None:
                try:
                    bulk.build(row=row, city=row_city)
                except ValidationError as error:
                    details = (
                        error.message_dict
                        if hasattr(error, "error_dict")
                        else {"__all__": error.messages}
                    )
                    for key, messages in details.items():
                        for message in messages:
                            errors.append(_error_from_field(row, key, message))
                except (ValueError, TypeError) as error:
                    errors.append(RowError(row.sheet, row.row, "", "", str(error)))
                else:
                    action = "create"
                    created += 1
                    pending.append(len(results))
            elif not errors and row_city is not None:
                try:
                    with transaction.atomic():
                        if kind == "groups":
                            record: WelcomeGroup | Household = group_save_answers(
                                programme=programme,
                                city=row_city,
                                answers=row.answers,
                                actor=actor,
                                group=existing,
                                external_uuid=row.uuid,
                            )
                        else:
                            record = household_save_answers(
                                programme=programme,
                                city=row_city,
                                answers=row.answers,
                                actor=actor,
                                household=existing,
                                external_uuid=row.uuid,
                            )
                except ValidationError as error:
                    details = (
                        error.message_dict
                        if hasattr(error, "error_dict")
                        else {"__all__": error.messages}
                    )
                    for key, messages in details.items():
                        for message in messages:
                            errors.append(_error_from_field(row, key, message))
                except (ValueError, TypeError) as error:
                    errors.append(RowError(row.sheet, row.row, "", "", str(error)))
                else:
                    action = "update" if existing is not None else "create"
                    reference = record.reference
                    created += action == "create"
                    updated += action == "update"
            failed = failed or bool(errors)
            results.append(
                {
                    "sheet": row.sheet,
                    "row": row.row,
                    "uuid": row.uuid,
                    "action": action,
                    "reference": reference,
                    "label": str(row.answers.get("name") or row.answers.get("contact_name") or ""),
                    "errors": [e.as_dict() for e in errors],
                }
            )
            if len(bulk.records) >= BULK_CHUNK and not failed:
                try:
                    _flush(bulk, pending, results)
                except IntegrityError as error:
                    clash, failed = error, True
        error_count = sum(len(r["errors"]) for r in results)
        if not error_count and clash is None:
            try:
                _flush(bulk, pending, results)
            except IntegrityError as error:
                clash = error
        if clash is not None:
            problem = RowError("", 0, "", "", ERR_CONCURRENT.format(problem=clash))
            results.append(
                {
                    "sheet": "",
                    "row": 0,
                    "uuid": "",
                    "action": "",
                    "reference": "",
                    "label": "",
                    "errors": [problem.as_dict()],
                }
            )
            error_count += 1
        if dry_run or error_count:
            transaction.set_rollback(True)
    return {
        "rows": results,
        "created": created,
        "updated": updated,
        "errors": error_count,
        "committed": not dry_run and not error_count,
    }


def _failed_report(messages: Sequence[str]) -> dict[str, Any]:
    return {
        "rows": [],
        "created": 0,
        "updated": 0,
        "errors": len(messages),
        "committed": False,
        "file_errors": list(messages),
        "columns": {},
        "ignored": {},
        "unknown": {},
        "missing": {},
        "rejected": 0,
    }


def run_import(
    *,
    programme: Programme,
    city: City | None,
    kind: str,
    files: Sequence[tuple[str, bytes]],
    actor: User | None,
    dry_run: bool,
    extra_mapping: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Parse and write (or preview) an export; returns the report (never raises for bad rows)."""
    saved = ImportMapping.objects.filter(programme=programme, kind=kind).first()
    mapping = {**(saved.columns if saved else {}), **(extra_mapping or {})}
    try:
        tables = read_tables(files)
        rows, described = parse_export(_questionnaire(kind), tables, mapping)
        del tables  # the rows hold the answers now
    except MissingColumns as error:
        report = _failed_report(error.messages)
        report.update(error.described)
        report["mapping"] = mapping
        report["fixable"] = True
        return report
    except ValidationError as error:
        report = _failed_report(error.messages)
        report["mapping"] = mapping
        return report
    report = apply_rows(
        programme=programme, city=city, kind=kind, rows=rows, actor=actor, dry_run=dry_run
    )
    report.update(described)
    report["file_errors"] = []
    report["mapping"] = mapping
    return report


def report_lines(report: Mapping[str, Any]) -> list[str]:
    """The report as text lines (for the console command)."""
    lines = [f"error: {message}" for message in report.get("file_errors") or []]
    for sheet, columns in (report.get("columns") or {}).items():
        for column in columns:
            target = column["field"] + (f" = {column['choice']}" if column["choice"] else "")
            lines.append(f"{sheet}: column {column['header']!r} → {target}")
    for sheet, unknown in (report.get("unknown") or {}).items():
        for entry in unknown:
            closest = entry.get("closest") or []
            hint = f" (closest: {', '.join(closest)})" if closest else ""
            lines.append(
                f"{sheet}: " + ERR_UNKNOWN_HEADER.format(header=entry["header"], hint=hint)
            )
    for row in report.get("rows") or []:
        for error in row["errors"]:
            lines.append(str(RowError(**error)))
        if row["action"]:
            lines.append(
                f"{row['sheet']} row {row['row']}: {row['action']} {row['reference']} {row['label']}".rstrip()
            )
    if report.get("rejected"):
        lines.append(f"{report['rejected']} rejected submissions skipped")
    lines.append(
        f"{report.get('created', 0)} to create, {report.get('updated', 0)} to update, "
        f"{report.get('errors', 0)} errors"
    )
    return lines


# --- import runs (the web page keeps the uploaded files between preview and commit) ------


def uploads_dir() -> Path:
    """Where uploaded exports wait for their commit: private, outside the database."""
    return Path(settings.HOME) / "imports"


def _store(files: Sequence[tuple[str, bytes]]) -> list[dict[str, Any]]:
    folder = uploads_dir() / secrets.token_hex(16)
    folder.mkdir(parents=True, mode=0o700)
    stored = []
    for position, (name, content) in enumerate(files):
        path = folder / f"{position}.upload"
        path.write_bytes(content)
        path.chmod(0o600)
        stored.append(
            {
                "name": PurePath(name).name,
                "path": str(path.relative_to(uploads_dir())),
                "size": len(content),
            }
        )
    return stored


def _load(files: Sequence[Mapping[str, Any]]) -> list[tuple[str, bytes]] | None:
    """The stored files of a run, or None when they are gone."""
    loaded = []
    for item in files:
        if "path" not in item:
            return None
        path = uploads_dir() / str(item["path"])
        if not path.is_file():
            return None
        loaded.append((str(item["name"]), path.read_bytes()))
    return loaded or None


def _drop(files: Sequence[Mapping[str, Any]]) -> None:
    folders = {(uploads_dir() / str(item["path"])).parent for item in files if "path" in item}
    for folder in folders:
        if folder.parent == uploads_dir():
            shutil.rmtree(folder, ignore_errors=True)


def import_uploads_purge(*, older_than: timedelta = UPLOAD_KEEP) -> int:
    """Remove uploaded exports kept longer than ``older_than``, whatever their outcome.

    Runs keep their report; only the files go. Returns how many runs lost their files.
    Called at every upload, and by ``welcomematch imports-purge`` (for a daily cron job).
    """
    cutoff = timezone.now() - older_than
    count = 0
    for run in ImportRun.objects.filter(created_at__lt=cutoff).exclude(files=[]):
        _drop(run.files)
        ImportRun.objects.filter(pk=run.pk).update(files=[])
        count += 1
    # Folders no run points to (a crash between storing and saving) go too.
    root = uploads_dir()
    if root.is_dir():
        kept = {
            str(item.get("path", "")).split("/")[0]
            for files in ImportRun.objects.exclude(files=[]).values_list("files", flat=True)
            for item in files
        }
        for folder in root.iterdir():
            if folder.name in kept:
                continue
            modified = datetime.fromtimestamp(folder.stat().st_mtime, tz=UTC)
            if modified < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
    return count


def import_preview(
    *,
    programme: Programme,
    city: City | None,
    kind: str,
    files: Sequence[tuple[str, bytes]],
    actor: User | None,
    mapping: Mapping[str, str] | None = None,
) -> ImportRun:
    """Dry run: keep the upload (on disk) and a report of what a commit would do.

    An upload with errors is dropped at once: it cannot be committed, and a copy of
    sensitive data is a risk, not a record.
    """
    import_uploads_purge()
    report = run_import(
        programme=programme,
        city=city,
        kind=kind,
        files=files,
        actor=actor,
        dry_run=True,
        extra_mapping=mapping,
    )
    failed = bool(report["errors"]) and not report.get("fixable")
    with transaction.atomic():
        run = ImportRun(
            programme=programme,
            city=city,
            kind=kind,
            files=[] if failed else _store(files),
            status=ImportRun.Status.FAILED if failed else ImportRun.Status.PREVIEWED,
            report=report,
            created_by=actor if actor is not None and actor.pk else None,
        )
        run.full_clean()
        run.save()
    return run


def import_remap(*, run: ImportRun, mapping: Mapping[str, str], actor: User | None) -> ImportRun:
    """Preview a previewed run again with a changed column mapping (the web page's editor)."""
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run.pk)
        if run.status != ImportRun.Status.PREVIEWED:
            raise ValidationError(ERR_NOT_PREVIEWED)
        files = _load(run.files)
        if files is None:
            run.files = []
            run.status = ImportRun.Status.FAILED
            run.report = {**run.report, "file_errors": [ERR_UPLOAD_GONE]}
            run.save(update_fields=["files", "status", "report"])
            return run
        previous = dict(run.report.get("mapping") or {})
        report = run_import(
            programme=run.programme,
            city=run.city,
            kind=run.kind,
            files=files,
            actor=actor,
            dry_run=True,
            extra_mapping={**previous, **mapping},
        )
        run.report = report
        run.save(update_fields=["report"])
    return run


def import_commit(*, run: ImportRun, actor: User | None) -> ImportRun:
    """Write a previewed run: every row or none; saves the column mapping for the programme.

    Idempotent: the run is locked, and a run that is no longer "previewed" (committed by
    another request, or failed) is returned unchanged. Once processed, the uploaded files are
    removed: the answers now live in the participants' records.
    """
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().get(pk=run.pk)
        if run.status != ImportRun.Status.PREVIEWED or run.report.get("errors"):
            return run
        files = _load(run.files)
        if files is None:
            run.status = ImportRun.Status.FAILED
            run.report = {**run.report, "file_errors": [ERR_UPLOAD_GONE], "errors": 1}
        else:
            report = run_import(
                programme=run.programme,
                city=run.city,
                kind=run.kind,
                files=files,
                actor=actor,
                dry_run=False,
                extra_mapping=run.report.get("mapping") or {},
            )
            run.report = report
            if report["committed"]:
                run.status = ImportRun.Status.COMMITTED
                run.committed_at = timezone.now()
                mapping_save(programme=run.programme, kind=run.kind, report=report)
                audit_record(
                    actor=actor,
                    action="intake.imported",
                    obj=run,
                    data={"created": report["created"], "updated": report["updated"]},
                )
            else:
                run.status = ImportRun.Status.FAILED
        stored = list(run.files)
        run.files = []
        run.save()
    _drop(stored)
    return run


def mapping_save(*, programme: Programme, kind: str, report: Mapping[str, Any]) -> ImportMapping:
    """Remember how this programme's export columns map to questions (header → field)."""
    columns: dict[str, str] = dict(report.get("mapping") or {})
    for sheet_columns in (report.get("columns") or {}).values():
        for column in sheet_columns:
            target = column["field"] + (f"/{column['choice']}" if column["choice"] else "")
            columns[column["header"]] = target
    mapping, _created = ImportMapping.objects.update_or_create(
        programme=programme, kind=kind, defaults={"columns": columns}
    )
    return mapping
