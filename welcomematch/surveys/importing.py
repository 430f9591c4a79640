"""Import survey responses from KoboToolbox / ODK / SurveyCTO exports (CSV or XLSX).

The same way as the intake importer: a dry run first (every row is written inside a
transaction that is then rolled back, so the dry run meets exactly the errors a commit
would), then a commit that writes every row or none. Columns are item codes of the moment's
current instrument, with or without group prefixes (``midterm/trust_match``); values are
option codes (labels in Dutch or English are understood too); a select-multiple item is one
column of space-separated codes or one 0/1 column per option (``work_status/volunteer``).

Optional columns: ``respondent`` (the number of a personal link, or its token) links a row to
that person's link, group or household, city and trial arm; without it a row is an anonymous
response, which counts in the report like any other. ``city`` and ``trial_arm`` give an
anonymous row its city and arm; ``_submission_time`` / ``SubmissionDate`` / ``end`` its
submission time (UTC unless the
value has an offset). Re-importing the same respondents (by ``respondent`` or by the tool's
``_uuid`` / ``meta/instanceID``) updates their responses instead of adding new ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from welcomematch.accounts.models import User
from welcomematch.accounts.services import audit_record
from welcomematch.core import tabular
from welcomematch.core.scales import MOMENTS, SCALES, SIDES
from welcomematch.core.survey_answers import NUMBER, AnswerProblem, clean_answer
from welcomematch.intake.importing import RowError, read_tables
from welcomematch.programmes.models import City, Programme
from welcomematch.surveys.models import Answer, Instrument, Item, Respondent, Response, Source

ERR_NO_INSTRUMENT = "There is no current {moment} questionnaire for {side}."
ERR_UNKNOWN_MOMENT = "Unknown moment {moment!r}; expected one of {moments}."
ERR_UNKNOWN_SIDE = "Unknown side {side!r}; expected one of {sides}."
ERR_NO_ROWS = "The export has no rows."
ERR_NO_ITEM_COLUMNS = "No column of the export is an item of this questionnaire ({codes})."
ERR_UNKNOWN_RESPONDENT = "No personal survey link {value!r} in this programme."
ERR_WRONG_WAVE = "Personal link {value!r} belongs to a {moment} survey for {side}, not this one."
ERR_UNKNOWN_CITY = "Unknown city {city!r}."
ERR_BAD_ARM = "Unknown trial arm {arm!r}; expected treatment, control or nothing."
ERR_DUPLICATE_ROW = "The same respondent is already in row {row}."
ERR_ANSWERED_ELSEWHERE = (
    "This person already sent the questionnaire through their personal link or an interview; "
    "that response is kept."
)

RESPONDENT_HEADERS = ("respondent", "respondent_id", "respondent_number")
CITY_HEADERS = ("city", "stad", "gemeente")
ARM_HEADERS = ("trial_arm", "arm")
TIME_HEADERS = ("_submission_time", "submissiondate", "end", "endtime")
ARMS = ("treatment", "control", "")


@dataclass
class SurveyRow:
    sheet: str
    row: int
    uuid: str
    respondent: str
    city: str
    arm: str
    submitted: str
    answers: dict[str, Any] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)


def current_instrument(*, moment: str, side: str) -> Instrument | None:
    return Instrument.objects.filter(moment=moment, side=side, is_current=True).first()


def field_specs(items: Sequence[Item]) -> list[tabular.FieldSpec]:
    """Each item as the table reader needs it: code, wording as labels, options with labels."""
    specs = []
    for item in items:
        labels = tuple(str(v) for v in (item.text or {}).values() if v)
        if item.scale in SCALES:
            scale = SCALES[item.scale]
            kind = tabular.SELECT_MULTIPLE if scale.multiple else tabular.SELECT_ONE
            choices = tuple(
                tabular.ChoiceSpec(o.code, tuple(o.labels.values())) for o in scale.options
            )
        else:
            kind = tabular.DECIMAL if item.scale == NUMBER else "text"
            choices = ()
        specs.append(tabular.FieldSpec(item.code, kind, labels, choices))
    return specs


def _cell(values: Sequence[object], index: int | None) -> object:
    if index is None or index >= len(values):
        return None
    return values[index]


def parse_export(
    items: Sequence[Item], tables: Sequence[tabular.Table]
) -> tuple[list[SurveyRow], dict[str, Any]]:
    """Rows of answers with their errors (row, column, item), and how the columns were read."""
    if not tables or not tables[0].rows:
        raise ValidationError(ERR_NO_ROWS)
    table = tables[0]
    specs = field_specs(items)
    by_code = {item.code: item for item in items}
    spec_by_name = {spec.name: spec for spec in specs}
    special = {
        index
        for index in (
            table.column(*RESPONDENT_HEADERS),
            table.column(*CITY_HEADERS),
            table.column(*ARM_HEADERS),
        )
        if index is not None
    }
    headers = ["" if i in special else h for i, h in enumerate(table.headers)]
    columns, ignored = tabular.resolve_columns(headers, specs)
    if not columns:
        raise ValidationError(ERR_NO_ITEM_COLUMNS.format(codes=", ".join(by_code)))
    described = {
        "sheet": table.name,
        "columns": [{"header": c.header, "field": c.field, "choice": c.choice} for c in columns],
        "ignored": ignored,
    }
    indexes = {
        "uuid": table.column(*tabular.UUID_HEADERS),
        "respondent": table.column(*RESPONDENT_HEADERS),
        "city": table.column(*CITY_HEADERS),
        "arm": table.column(*ARM_HEADERS),
        "time": table.column(*TIME_HEADERS),
    }
    rows = []
    for number, values in enumerate(table.rows, start=2):
        row = SurveyRow(
            sheet=table.name,
            row=number,
            uuid=tabular.submission_id(_cell(values, indexes["uuid"])),
            respondent=tabular.cell_text(_cell(values, indexes["respondent"])),
            city=tabular.cell_text(_cell(values, indexes["city"])),
            arm=tabular.cell_text(_cell(values, indexes["arm"])).lower(),
            submitted=tabular.cell_text(_cell(values, indexes["time"])),
        )
        for column in columns:
            spec = spec_by_name[column.field]
            raw = _cell(values, column.index)
            row.columns.setdefault(column.field, column.header)
            try:
                if column.choice:
                    chosen = row.answers.setdefault(column.field, [])
                    if tabular.truthy(raw) and column.choice not in chosen:
                        chosen.append(column.choice)
                    continue
                value = tabular.convert(spec, raw)
                if spec.kind == tabular.SELECT_MULTIPLE and column.field in row.answers:
                    value = list(dict.fromkeys([*row.answers[column.field], *value]))  # type: ignore[misc]
                row.answers[column.field] = value
            except tabular.ValueProblem as problem:
                row.errors.append(
                    RowError(row.sheet, row.row, column.header, column.field, str(problem))
                )
        for code, value in list(row.answers.items()):
            try:
                row.answers[code] = clean_answer(by_code[code].scale, value)
            except AnswerProblem as problem:
                row.errors.append(
                    RowError(row.sheet, row.row, row.columns.get(code, ""), code, str(problem))
                )
        rows.append(row)
    return rows, described


def _respondent(programme: Programme, value: str) -> Respondent | None:
    qs = Respondent.objects.select_related("wave").filter(wave__programme=programme)
    if value.isdigit():
        found = qs.filter(pk=int(value)).first()
        if found is not None:
            return found
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()
    return qs.filter(token_hash=digest).first()


def _submitted_at(text: str) -> datetime:
    if text:
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            when = None
        if when is not None:
            if timezone.is_naive(when):  # Kobo's _submission_time is UTC without an offset
                when = when.replace(tzinfo=UTC)
            return when
    return timezone.now()


def apply_rows(
    *,
    programme: Programme,
    moment: str,
    side: str,
    instrument: Instrument,
    rows: Sequence[SurveyRow],
    actor: User | None,
    dry_run: bool,
) -> dict[str, Any]:
    """Write every row in one transaction; roll it back for a dry run or when any row fails."""
    cities = {c.name.lower(): c for c in City.objects.filter(programme=programme)}
    results: list[dict[str, Any]] = []
    created = updated = 0
    seen: dict[str, int] = {}
    with transaction.atomic():
        for row in rows:
            errors = list(row.errors)
            respondent = None
            if row.respondent:
                respondent = _respondent(programme, row.respondent)
                if respondent is None:
                    errors.append(
                        RowError(
                            row.sheet,
                            row.row,
                            "respondent",
                            "respondent",
                            ERR_UNKNOWN_RESPONDENT.format(value=row.respondent),
                        )
                    )
                elif respondent.wave.moment != moment or respondent.side != side:
                    errors.append(
                        RowError(
                            row.sheet,
                            row.row,
                            "respondent",
                            "respondent",
                            ERR_WRONG_WAVE.format(
                                value=row.respondent,
                                moment=respondent.wave.moment,
                                side=respondent.side,
                            ),
                        )
                    )
            city = None
            if row.city:
                city = cities.get(row.city.lower())
                if city is None:
                    errors.append(
                        RowError(
                            row.sheet,
                            row.row,
                            "city",
                            "city",
                            ERR_UNKNOWN_CITY.format(city=row.city),
                        )
                    )
            if row.arm not in ARMS:
                errors.append(
                    RowError(
                        row.sheet,
                        row.row,
                        "trial_arm",
                        "trial_arm",
                        ERR_BAD_ARM.format(arm=row.arm),
                    )
                )
            key = (
                f"r:{respondent.pk}"
                if respondent is not None
                else (f"u:{row.uuid}" if row.uuid else "")
            )
            if key and key in seen:
                errors.append(
                    RowError(row.sheet, row.row, "", "", ERR_DUPLICATE_ROW.format(row=seen[key]))
                )
            elif key:
                seen[key] = row.row
            action = ""
            if not errors:
                existing = None
                if respondent is not None:
                    existing = Response.objects.filter(respondent=respondent).first()
                if existing is None and row.uuid:
                    existing = Response.objects.filter(
                        programme=programme, moment=moment, side=side, external_id=row.uuid
                    ).first()
                if (
                    existing is not None
                    and existing.source != Source.IMPORT
                    and existing.submitted_at is not None
                ):
                    errors.append(
                        RowError(
                            row.sheet, row.row, "respondent", "respondent", ERR_ANSWERED_ELSEWHERE
                        )
                    )
                else:
                    action = "update" if existing is not None else "create"
                    _write(
                        programme=programme,
                        moment=moment,
                        side=side,
                        instrument=instrument,
                        row=row,
                        respondent=respondent,
                        city=city,
                        existing=existing,
                        actor=actor,
                    )
                    created += action == "create"
                    updated += action == "update"
            results.append(
                {
                    "sheet": row.sheet,
                    "row": row.row,
                    "uuid": row.uuid,
                    "respondent": row.respondent,
                    "action": action,
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


def _write(
    *,
    programme: Programme,
    moment: str,
    side: str,
    instrument: Instrument,
    row: SurveyRow,
    respondent: Respondent | None,
    city: City | None,
    existing: Response | None,
    actor: User | None,
) -> Response:
    when = _submitted_at(row.submitted)
    response = existing or Response(programme=programme, moment=moment, side=side, started_at=when)
    response.instrument = instrument
    response.respondent = respondent
    if respondent is not None:
        response.group = respondent.group
        response.household = respondent.household
        response.city = respondent.city or respondent.wave.city
        response.trial_arm = respondent.trial_arm
    else:
        response.city = city
        response.trial_arm = row.arm
    if city is not None:
        response.city = city
    response.submitted_at = when
    response.source = Source.IMPORT
    response.external_id = row.uuid
    response.entered_by = actor if actor is not None and actor.pk else None
    response.full_clean(exclude=["respondent"] if respondent is None else None)
    response.save()
    for code, value in row.answers.items():
        if value is None:
            Answer.objects.filter(response=response, item_code=code).delete()
        else:
            Answer.objects.update_or_create(
                response=response, item_code=code, defaults={"value": value}
            )
    audit_record(
        actor=actor,
        action="survey.response_imported",
        obj=response,
        data={"moment": moment, "side": side, "row": row.row, "update": existing is not None},
    )
    return response


def run_import(
    *,
    programme: Programme,
    moment: str,
    side: str,
    files: Sequence[tuple[str, bytes]],
    actor: User | None,
    dry_run: bool,
) -> dict[str, Any]:
    """Parse and write (or dry-run) an export; returns the report (never raises for bad rows)."""
    empty: dict[str, Any] = {
        "rows": [],
        "created": 0,
        "updated": 0,
        "errors": 1,
        "committed": False,
        "columns": [],
        "ignored": [],
        "sheet": "",
    }
    if moment not in MOMENTS:
        return {
            **empty,
            "file_errors": [ERR_UNKNOWN_MOMENT.format(moment=moment, moments=", ".join(MOMENTS))],
        }
    if side not in SIDES:
        return {
            **empty,
            "file_errors": [ERR_UNKNOWN_SIDE.format(side=side, sides=", ".join(SIDES))],
        }
    instrument = current_instrument(moment=moment, side=side)
    if instrument is None:
        return {**empty, "file_errors": [ERR_NO_INSTRUMENT.format(moment=moment, side=side)]}
    items = list(instrument.items.order_by("position", "pk"))
    try:
        rows, described = parse_export(items, read_tables(files))
    except ValidationError as error:
        return {**empty, "file_errors": error.messages}
    report = apply_rows(
        programme=programme,
        moment=moment,
        side=side,
        instrument=instrument,
        rows=rows,
        actor=actor,
        dry_run=dry_run,
    )
    report.update(described)
    report["file_errors"] = []
    return report


def report_lines(report: dict[str, Any]) -> list[str]:
    """The report as text lines (for the console command)."""
    lines = list(report.get("file_errors") or [])
    sheet = report.get("sheet", "")
    for column in report.get("columns") or []:
        target = column["field"] + (f" = {column['choice']}" if column["choice"] else "")
        lines.append(f"{sheet}: column {column['header']!r} → {target}")
    for header in report.get("ignored") or []:
        lines.append(f"{sheet}: column {header!r} ignored")
    for row in report.get("rows") or []:
        for error in row["errors"]:
            lines.append(str(RowError(**error)))
        if row["action"]:
            who = f" respondent {row['respondent']}" if row["respondent"] else ""
            lines.append(f"{row['sheet']} row {row['row']}: {row['action']}{who}")
    lines.append(
        f"{report.get('created', 0)} to create, {report.get('updated', 0)} to update, "
        f"{report.get('errors', 0)} errors"
    )
    return lines
