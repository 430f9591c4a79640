"""Import groups and households from KoboToolbox / ODK / SurveyCTO exports (CSV or XLSX).

A run is previewed first: every row is written inside a transaction that is then rolled
back, so the preview shows exactly the errors a commit would meet. A commit writes all rows
or none. Rows carry their submission id (``_uuid``); importing the same export again
updates those records instead of adding new ones.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from welcomematch.accounts.models import User
from welcomematch.accounts.services import audit_record
from welcomematch.core import tabular
from welcomematch.intake import questions as q
from welcomematch.intake.models import Household, ImportMapping, ImportRun, WelcomeGroup
from welcomematch.intake.services import group_save_answers, household_save_answers
from welcomematch.programmes.models import City, Programme

ERR_NO_ROWS = "The export has no rows."
ERR_NO_FILES = "Upload at least one CSV or XLSX file."
ERR_UNREADABLE = "{name}: cannot be read as CSV or XLSX ({problem})."
ERR_REQUIRED = "This answer is required."
ERR_UNKNOWN_CITY = "Unknown city {city!r}."
ERR_NO_PARENT = "No main row with _index/KEY {parent!r}."
ERR_MISSING_COLUMN = "No column answers the required question {field!r}."


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


# --- reading files -----------------------------------------------------------------------


def read_tables(files: Sequence[tuple[str, bytes]]) -> list[tabular.Table]:
    """Every sheet of every file, in order; CSV files are named by their file stem."""
    if not files:
        raise ValidationError(ERR_NO_FILES)
    tables: list[tabular.Table] = []
    for name, content in files:
        try:
            if content[:2] == b"PK":
                tables.extend(_read_xlsx(content))
            else:
                try:
                    text = content.decode("utf-8-sig")
                except UnicodeDecodeError:
                    text = content.decode("latin-1")
                tables.append(tabular.read_csv(text, name=PurePath(name).stem))
        except ValidationError:
            raise
        except Exception as error:  # openpyxl raises many kinds for a broken file
            raise ValidationError(ERR_UNREADABLE.format(name=name, problem=error)) from None
    return tables


def _read_xlsx(content: bytes) -> list[tabular.Table]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    tables = []
    for sheet in workbook.worksheets:
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        if not rows:
            continue
        headers = [tabular.cell_text(h) for h in rows[0]]
        body = [r for r in rows[1:] if any(tabular.cell_text(c) for c in r)]
        tables.append(tabular.Table(name=sheet.title, headers=headers, rows=body))
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


def _is_repeat_table(table: tabular.Table) -> bool:
    return table.column(*tabular.PARENT_HEADERS) is not None


def _repeat_name(table: tabular.Table, questionnaire: q.Questionnaire) -> str | None:
    """The repeat a sheet holds: by its name (``members``, ``group_members/member``)."""
    lowered = table.name.lower()
    for section in questionnaire.repeats:
        if section.name in lowered or section.name.rstrip("s") in lowered:
            return section.name
    if len(questionnaire.repeats) == 1:
        return questionnaire.repeats[0].name
    return None


def parse_export(
    questionnaire: q.Questionnaire,
    tables: Sequence[tabular.Table],
    saved: Mapping[str, str] | None = None,
) -> tuple[list[ParsedRow], dict[str, Any]]:
    """Rows of answers with their conversion errors, plus a description of the columns."""
    mains = [t for t in tables if not _is_repeat_table(t)]
    if not mains or not mains[0].rows:
        raise ValidationError(ERR_NO_ROWS)
    main = mains[0]
    main_specs = field_specs(questionnaire.main_questions())
    columns, ignored = tabular.resolve_columns(main.headers, main_specs, saved)
    city_index = main.column("city", "stad", "gemeente")
    if city_index is not None:
        ignored = [h for h in ignored if h != main.headers[city_index]]
    described: dict[str, Any] = {
        "main": main.name,
        "columns": {main.name: [_describe(c) for c in columns]},
        "ignored": {main.name: ignored},
        "missing": {},
    }
    mapped = {c.field for c in columns}
    missing_required = [
        question.name
        for question in questionnaire.main_questions()
        if question.required and question.name not in mapped
    ]
    described["missing"][main.name] = missing_required
    uuid_index = main.column(*tabular.UUID_HEADERS)
    index_index = main.column(*tabular.INDEX_HEADERS)
    parsed: list[ParsedRow] = []
    by_index: dict[str, ParsedRow] = {}
    spec_by_name = {s.name: s for s in main_specs}
    for number, values in enumerate(main.rows, start=2):
        row = ParsedRow(
            sheet=main.name,
            row=number,
            uuid=tabular.submission_id(_cell(values, uuid_index)),
            city=tabular.cell_text(_cell(values, city_index)),
        )
        _convert_row(row, values, columns, spec_by_name)
        _check_required(
            row,
            questionnaire,
            mapped,
            sections=[s.name for s in q.non_repeat_sections(questionnaire)],
        )
        for name in missing_required:
            row.errors.append(
                RowError(main.name, number, "", name, ERR_MISSING_COLUMN.format(field=name))
            )
        parsed.append(row)
        key = (
            tabular.cell_text(_cell(values, index_index))
            if index_index is not None
            else str(number - 1)
        )
        by_index[key] = row
    for section in questionnaire.repeats:
        for row in parsed:
            row.answers[section.name] = []
    for table in tables:
        if not _is_repeat_table(table):
            continue
        section_name = _repeat_name(table, questionnaire)
        if section_name is None:
            described["ignored"][table.name] = list(table.headers)
            continue
        specs = field_specs(questionnaire.in_section(section_name))
        repeat_columns, repeat_ignored = tabular.resolve_columns(table.headers, specs, saved)
        described["columns"][table.name] = [_describe(c) for c in repeat_columns]
        described["ignored"][table.name] = repeat_ignored
        parent_index = table.column(*tabular.PARENT_HEADERS)
        repeat_specs = {s.name: s for s in specs}
        for number, values in enumerate(table.rows, start=2):
            parent_key = tabular.cell_text(_cell(values, parent_index))
            parent = by_index.get(parent_key)
            if parent is None:
                # A repeat row without its main row is an error of the whole export.
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
            _convert_row(holder, values, repeat_columns, repeat_specs)
            _check_required(
                holder, questionnaire, {c.field for c in repeat_columns}, sections=[section_name]
            )
            parent.errors.extend(holder.errors)
            parent.answers[section_name].append(holder.answers)
            parent.repeat_rows.setdefault(section_name, []).append(
                (table.name, number, holder.columns)
            )
    return parsed, described


def _describe(column: tabular.Column) -> dict[str, str]:
    return {"header": column.header, "field": column.field, "choice": column.choice}


def _cell(values: Sequence[object], index: int | None) -> object:
    if index is None or index >= len(values):
        return None
    return values[index]


def _convert_row(
    row: ParsedRow,
    values: Sequence[object],
    columns: Sequence[tabular.Column],
    specs: Mapping[str, tabular.FieldSpec],
) -> None:
    for column in columns:
        spec = specs[column.field]
        raw = _cell(values, column.index)
        try:
            if column.choice:
                chosen = tabular.truthy(raw)
                answers = row.answers.setdefault(column.field, [])
                if chosen and column.choice not in answers:
                    answers.append(column.choice)
            else:
                value = tabular.convert(spec, raw)
                if (
                    spec.kind in (tabular.SELECT_MULTIPLE, tabular.RANK)
                    and column.field in row.answers
                ):
                    merged = [*row.answers[column.field], *value]  # type: ignore[misc]
                    value = list(dict.fromkeys(merged))
                row.answers[column.field] = value
        except tabular.ValueProblem as problem:
            row.errors.append(
                RowError(row.sheet, row.row, column.header, column.field, str(problem))
            )
        row.columns.setdefault(column.field, column.header)


def _check_required(
    row: ParsedRow, questionnaire: q.Questionnaire, mapped: set[str], *, sections: Sequence[str]
) -> None:
    for section in sections:
        for name in q.missing_answers(questionnaire, row.answers, section=section):
            if name in mapped:
                row.errors.append(
                    RowError(row.sheet, row.row, row.columns.get(name, ""), name, ERR_REQUIRED)
                )


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
    with transaction.atomic():
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
            if row_city is None and not errors:
                errors.append(RowError(row.sheet, row.row, "city", "city", ERR_REQUIRED))
            if not errors and row_city is not None:
                existing = (
                    model.objects.filter(programme=programme, external_uuid=row.uuid).first()
                    if row.uuid
                    else None
                )
                try:
                    with transaction.atomic():
                        if kind == "groups":
                            record: WelcomeGroup | Household = group_save_answers(
                                programme=programme,
                                city=row_city,
                                answers=row.answers,
                                actor=actor,
                                group=existing,  # type: ignore[arg-type]
                                external_uuid=row.uuid,
                            )
                        else:
                            record = household_save_answers(
                                programme=programme,
                                city=row_city,
                                answers=row.answers,
                                actor=actor,
                                household=existing,  # type: ignore[arg-type]
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
        error_count = sum(len(r["errors"]) for r in results)
        if dry_run or error_count:
            transaction.set_rollback(True)
    return {
        "rows": results,
        "created": created,
        "updated": updated,
        "errors": error_count,
        "committed": not dry_run and not error_count,
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
    except ValidationError as error:
        return {
            "rows": [],
            "created": 0,
            "updated": 0,
            "errors": 1,
            "committed": False,
            "file_errors": error.messages,
            "columns": {},
            "ignored": {},
            "missing": {},
        }
    report = apply_rows(
        programme=programme, city=city, kind=kind, rows=rows, actor=actor, dry_run=dry_run
    )
    report.update(described)
    report["file_errors"] = []
    report["mapping"] = mapping
    return report


def report_lines(report: Mapping[str, Any]) -> list[str]:
    """The report as text lines (for the console command)."""
    lines = list(report.get("file_errors") or [])
    for sheet, columns in (report.get("columns") or {}).items():
        for column in columns:
            target = column["field"] + (f" = {column['choice']}" if column["choice"] else "")
            lines.append(f"{sheet}: column {column['header']!r} → {target}")
    for sheet, headers in (report.get("ignored") or {}).items():
        for header in headers:
            lines.append(f"{sheet}: column {header!r} ignored")
    for row in report.get("rows") or []:
        for error in row["errors"]:
            lines.append(str(RowError(**error)))
        if row["action"]:
            lines.append(
                f"{row['sheet']} row {row['row']}: {row['action']} {row['reference']} {row['label']}".rstrip()
            )
    lines.append(
        f"{report.get('created', 0)} to create, {report.get('updated', 0)} to update, "
        f"{report.get('errors', 0)} errors"
    )
    return lines


# --- import runs (the web page keeps the uploaded files between preview and commit) ------


def _encode(files: Sequence[tuple[str, bytes]]) -> list[dict[str, str]]:
    return [
        {"name": name, "content": base64.b64encode(content).decode("ascii")}
        for name, content in files
    ]


def _decode(files: Sequence[Mapping[str, str]]) -> list[tuple[str, bytes]]:
    return [(f["name"], base64.b64decode(f["content"])) for f in files]


@transaction.atomic
def import_preview(
    *,
    programme: Programme,
    city: City | None,
    kind: str,
    files: Sequence[tuple[str, bytes]],
    actor: User | None,
) -> ImportRun:
    """Dry run: store the upload and a report of what a commit would do; changes nothing else."""
    report = run_import(
        programme=programme, city=city, kind=kind, files=files, actor=actor, dry_run=True
    )
    run = ImportRun(
        programme=programme,
        city=city,
        kind=kind,
        files=_encode(files),
        status=ImportRun.Status.FAILED if report["errors"] else ImportRun.Status.PREVIEWED,
        report=report,
        created_by=actor if actor is not None and actor.pk else None,
    )
    run.full_clean()
    run.save()
    return run


@transaction.atomic
def import_commit(*, run: ImportRun, actor: User | None) -> ImportRun:
    """Write a previewed run: every row or none; saves the column mapping for the programme.

    Once written, the uploaded files are dropped from the run: the answers now live in the
    participants' records, and a second copy of sensitive data is a risk, not a record.
    """
    report = run_import(
        programme=run.programme,
        city=run.city,
        kind=run.kind,
        files=_decode(run.files),
        actor=actor,
        dry_run=False,
    )
    run.report = report
    if report["committed"]:
        run.status = ImportRun.Status.COMMITTED
        run.committed_at = timezone.now()
        run.files = []
        mapping_save(programme=run.programme, kind=run.kind, report=report)
        audit_record(
            actor=actor,
            action="intake.imported",
            obj=run,
            data={"created": report["created"], "updated": report["updated"]},
        )
    else:
        run.status = ImportRun.Status.FAILED
    run.save()
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
