"""Exports written by the survey tools' own writers import our forms' answers exactly.

The fixtures (see ``fixtures/README.md`` and each ``<tool>/SOURCE.md``) hold the submissions
of ``fixtures/answers.json``; each export convention must give back those answers — text byte
for byte — on a dry run and on a commit, skipping submissions rejected in the tool.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from welcomematch.core.tabular import submission_id
from welcomematch.intake.importing import (
    ERR_NO_REPEAT,
    HINT_CSV_ONLY,
    run_import,
)
from welcomematch.intake.models import Household, WelcomeGroup
from welcomematch.intake.services import group_save_answers, household_save_answers

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
ANSWERS: dict[str, list[dict[str, Any]]] = json.loads(
    (FIXTURES / "answers.json").read_text("utf-8")
)

#: (kind, files, whether the export carries the tool's review state)
CASES = [
    ("groups", ["kobo/groups-xml-groups.xlsx"], True),
    ("groups", ["kobo/groups-xml-groups-dot.xlsx"], True),
    ("groups", ["kobo/groups-nl.xlsx"], True),
    ("groups", ["kobo/groups-en-groups.xlsx"], True),
    ("groups", ["odk-central/groups.csv.zip"], True),
    ("groups", ["odk-central/groups-nosplit.csv.zip"], True),
    (
        "groups",
        [
            "briefcase/groups/welcomematch_group_intake.csv",
            "briefcase/groups/welcomematch_group_intake-members.csv",
        ],
        False,
    ),
    (
        "groups",
        [
            "surveycto/groups-long/welcomematch_group_intake.csv",
            "surveycto/groups-long/welcomematch_group_intake-members.csv",
        ],
        True,
    ),
    ("groups", ["excel/groups-windows1252.csv", "excel/groups-windows1252-members.csv"], True),
    ("households", ["kobo/households-xml.xlsx"], True),
    ("households", ["kobo/households-nl-groups-dot.xlsx"], True),
    ("households", ["kobo/households-nl-summary.xlsx"], True),
    ("households", ["kobo/households-en-groups.xlsx"], True),
    ("households", ["odk-central/households.csv.zip"], True),
    ("households", ["odk-central/households-nogroups.csv.zip"], True),
    (
        "households",
        [
            "briefcase/households/welcomematch_household_intake.csv",
            "briefcase/households/welcomematch_household_intake-persons.csv",
        ],
        False,
    ),
    (
        "households",
        [
            "surveycto/households-long/welcomematch_household_intake.csv",
            "surveycto/households-long/welcomematch_household_intake-persons.csv",
        ],
        True,
    ),
    ("households", ["excel/households-unicode.txt", "excel/households-unicode-persons.txt"], True),
]

TEXT = {
    "groups": ("name", "contact_phone", "motivation", "availability", "hobbies"),
    "households": ("contact_name", "contact_phone", "hobbies", "support_notes"),
}
REPEAT_TEXT = {"groups": ("members", ("first_name", "occupation")), "households": ("persons", ())}
SKIP = {
    "id",
    "reference",
    "external_uuid",
    "created_at",
    "updated_at",
    "intake_completed_at",
    "consent_at",
    "non_discrimination_at",
}


def load(paths: list[str]) -> list[tuple[str, bytes]]:
    return [(Path(p).name, (FIXTURES / p).read_bytes()) for p in paths]


def fields_of(record: Any) -> dict[str, Any]:
    return {
        f.name: getattr(record, f.name)
        for f in type(record)._meta.concrete_fields
        if f.name not in SKIP
    }


def rows_of(record: Any, related: str) -> list[dict[str, Any]]:
    skip = ("id", "group_id", "household_id")
    return [
        {k: v for k, v in row.items() if k not in skip}
        for row in getattr(record, related).order_by("id").values()
    ]


@pytest.mark.parametrize(
    ("kind", "paths", "reviewed"), CASES, ids=["+".join(Path(p).name for p in c[1]) for c in CASES]
)
def test_each_export_convention_imports_the_answers_that_went_in(
    programme: Any, city: Any, postcodes: int, kind: str, paths: list[str], reviewed: bool
) -> None:
    model: Any = WelcomeGroup if kind == "groups" else Household
    files = load(paths)
    preview = run_import(
        programme=programme, city=city, kind=kind, files=files, actor=None, dry_run=True
    )
    assert preview["errors"] == 0, (preview["file_errors"], preview["rows"])
    assert not model.objects.exists()
    report = run_import(
        programme=programme, city=city, kind=kind, files=files, actor=None, dry_run=False
    )
    assert report["committed"], report["rows"]
    submissions = ANSWERS[kind]
    expected = [s for s in submissions if not (reviewed and s["review"] == "rejected")]
    assert report["rejected"] == len(submissions) - len(expected)
    assert model.objects.count() == len(expected)
    save: Any = group_save_answers if kind == "groups" else household_save_answers
    related, repeat_text = REPEAT_TEXT[kind]
    for submission in expected:
        answers = submission["answers"]
        imported = model.objects.get(external_uuid=submission_id(submission["uuid"]))
        for name in TEXT[kind]:
            assert getattr(imported, name) == answers[name], name  # byte for byte
        for row, item in zip(
            getattr(imported, related).order_by("id"), answers[related], strict=True
        ):
            for name in repeat_text:
                assert getattr(row, name) == item[name]
        direct = save(programme=programme, city=city, answers=answers, actor=None)
        assert fields_of(imported) == fields_of(direct)
        assert rows_of(imported, related) == rows_of(direct, related)


def test_a_multi_word_label_summary_without_choice_columns_gives_both_goals(
    programme: Any, city: Any, postcodes: int
) -> None:
    report = run_import(
        programme=programme,
        city=city,
        kind="households",
        files=load(["kobo/households-nl-summary.xlsx"]),
        actor=None,
        dry_run=False,
    )
    assert report["committed"], report["rows"]
    household = Household.objects.get(external_uuid="5e1a0b9c-0001-4d2e-8f00-00000000000a")
    assert household.goals == ["language", "practical"]  # "Taal oefenen Praktische zaken"


@pytest.mark.parametrize("path", ["kobo/groups-nl-summary.csv", "kobo/groups-xml.csv"])
def test_a_kobo_csv_without_repeat_data_explains_which_export_to_choose(
    programme: Any, city: Any, postcodes: int, path: str
) -> None:
    report = run_import(
        programme=programme, city=city, kind="groups", files=load([path]), actor=None, dry_run=True
    )
    assert report["file_errors"] == [ERR_NO_REPEAT.format(section="members", hint=HINT_CSV_ONLY)]
    assert report["rows"] == []


def test_surveycto_wide_format_is_explained_not_read_as_groups_without_members(
    programme: Any, city: Any, postcodes: int
) -> None:
    report = run_import(
        programme=programme,
        city=city,
        kind="groups",
        files=load(["surveycto/welcomematch_group_intake_WIDE.csv"]),
        actor=None,
        dry_run=True,
    )
    (message,) = report["file_errors"]
    assert "SurveyCTO's wide format" in message and "'first_name_1'" in message
    assert "long format" in message
    assert not WelcomeGroup.objects.exists()


def test_rejected_submissions_are_counted_and_their_repeat_rows_skipped(
    programme: Any, city: Any, postcodes: int
) -> None:
    report = run_import(
        programme=programme,
        city=city,
        kind="groups",
        files=load(["odk-central/groups.csv.zip"]),
        actor=None,
        dry_run=False,
    )
    assert report["rejected"] == 1
    assert not WelcomeGroup.objects.filter(name="Afgewezen inzending").exists()
    assert not any("Xander" in str(row) for row in report["rows"])


def test_records_written_in_chunks_keep_their_references_and_a_later_error_undoes_them(
    programme: Any, city: Any, postcodes: int, monkeypatch: Any
) -> None:
    import zipfile

    from welcomematch.intake import importing

    monkeypatch.setattr(importing, "BULK_CHUNK", 1)
    files = load(["odk-central/groups.csv.zip"])
    report = run_import(
        programme=programme, city=city, kind="groups", files=files, actor=None, dry_run=False
    )
    assert [r["reference"] for r in report["rows"]] == ["G-0001", "G-0002"]
    assert sorted(WelcomeGroup.objects.values_list("reference", flat=True)) == ["G-0001", "G-0002"]
    WelcomeGroup.objects.all().delete()
    # The rejected third row made valid but with an unknown postcode: it fails after the
    # first two were flushed, and the whole import is undone.
    source = zipfile.ZipFile(FIXTURES / "odk-central/groups.csv.zip")
    main = source.read("welcomematch_group_intake.csv").decode()
    main = main.replace(",1315,,,family,", ",1011 AB,,,family,").replace(",rejected,", ",,")
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as target:
        target.writestr("welcomematch_group_intake.csv", main)
        target.writestr(
            "welcomematch_group_intake-members.csv",
            source.read("welcomematch_group_intake-members.csv"),
        )
    report = run_import(
        programme=programme,
        city=city,
        kind="groups",
        files=[("g.csv.zip", broken.getvalue())],
        actor=None,
        dry_run=False,
    )
    assert not report["committed"], report["rows"]
    (error,) = [e for row in report["rows"] for e in row["errors"]]
    assert (error["row"], error["field"]) == (4, "postcode")
    assert not WelcomeGroup.objects.exists()


def test_a_blank_yes_no_stays_blank_and_a_missing_column_is_not_yes(db: Any) -> None:
    import csv
    import zipfile

    from welcomematch.intake.importing import parse_export, read_tables
    from welcomematch.intake.questions import HOUSEHOLD_QUESTIONNAIRE

    source = zipfile.ZipFile(FIXTURES / "odk-central/households-nogroups.csv.zip")
    text = source.read("welcomematch_household_intake.csv").decode()
    rows = list(csv.reader(io.StringIO(text, newline="")))
    column = rows[0].index("wants_ambassador")
    assert [r[column] for r in rows[1:]] == ["yes", "no"]

    def export(table: list[list[str]]) -> list[tuple[str, bytes]]:
        out = io.StringIO()
        csv.writer(out).writerows(table)
        persons = source.read("welcomematch_household_intake-persons.csv")
        return [("form.csv", out.getvalue().encode()), ("form-persons.csv", persons)]

    blank = [rows[0], [*rows[1][:column], "", *rows[1][column + 1 :]], rows[2]]
    parsed, _described = parse_export(HOUSEHOLD_QUESTIONNAIRE, read_tables(export(blank)))
    assert [r.answers["wants_ambassador"] for r in parsed] == [None, False]
    missing = [[*r[:column], *r[column + 1 :]] for r in rows]
    parsed, _described = parse_export(HOUSEHOLD_QUESTIONNAIRE, read_tables(export(missing)))
    assert [r.answers["wants_ambassador"] for r in parsed] == [None, None]


def _created_event(record: Any) -> dict[str, Any]:
    from welcomematch.accounts.models import AuditEvent

    (event,) = AuditEvent.objects.filter(
        object_type=record._meta.label_lower,
        object_id=str(record.pk),
        action__endswith=".created",
    ).values("actor_id", "action", "object_type", "data", "ip_address", "programme_id")
    return event


@pytest.mark.parametrize(
    ("kind", "paths", "reviewed"), CASES, ids=["+".join(Path(p).name for p in c[1]) for c in CASES]
)
def test_the_bulk_path_writes_what_the_services_write_with_the_same_audit_events(
    programme: Any, city: Any, postcodes: int, kind: str, paths: list[str], reviewed: bool
) -> None:
    """Imported records (validated without model instances, written in bulk) against the same
    answers saved through group_save_answers/household_save_answers one by one: the same
    fields, rows, references in row order, and the same ``*.created`` audit event."""
    from types import SimpleNamespace

    from tests.factories import make_user
    from welcomematch.accounts.context import bind_request
    from welcomematch.accounts.models import Role

    model: Any = WelcomeGroup if kind == "groups" else Household
    actor = make_user(Role.COORDINATOR, programme=programme)
    request: Any = SimpleNamespace(META={"REMOTE_ADDR": "192.0.2.7"})
    with bind_request(request):
        report = run_import(
            programme=programme, city=city, kind=kind, files=load(paths), actor=actor, dry_run=False
        )
    assert report["committed"], report["rows"]
    imported = list(model.objects.order_by("pk"))
    letter = "G" if kind == "groups" else "H"
    assert [r.reference for r in imported] == [
        f"{letter}-{n:04d}" for n in range(1, len(imported) + 1)
    ]
    assert [r["reference"] for r in report["rows"]] == [r.reference for r in imported]
    save: Any = group_save_answers if kind == "groups" else household_save_answers
    related, _repeat_text = REPEAT_TEXT[kind]
    submissions = {submission_id(s["uuid"]): s["answers"] for s in ANSWERS[kind]}
    for record in imported:
        assert record.intake_completed_at is not None
        with bind_request(request):
            direct = save(
                programme=programme,
                city=city,
                answers=submissions[record.external_uuid],
                actor=actor,
            )
        assert fields_of(record) == fields_of(direct)
        assert rows_of(record, related) == rows_of(direct, related)
        assert _created_event(record) == _created_event(direct)
        assert _created_event(record)["ip_address"] == "192.0.2.7"


@pytest.mark.parametrize(
    ("kind", "answers"),
    [
        ("groups", {"name": "x" * 201}),
        ("groups", {"contact_email": "not an address"}),
        ("groups", {"contact_phone": "1" * 41}),
        ("groups", {"members": [{"first_name": "", "age": 121, "gender": "woman"}]}),
        ("groups", {"members": [{"first_name": "Anna", "age": 30, "gender": "robot"}]}),
        ("households", {"contact_name": "", "contact_phone": "1" * 41}),
        ("households", {"cefr_dutch": "Z9"}),
        ("households", {"persons": [{"relation": "main", "age": 130, "gender": "woman"}]}),
    ],
)
def test_the_bulk_path_refuses_what_the_services_refuse_with_the_same_messages(
    programme: Any, city: Any, postcodes: int, kind: str, answers: dict[str, Any]
) -> None:
    import re

    from django.core.exceptions import ValidationError

    from tests.intake.answers import group_answers, household_answers
    from welcomematch.intake.importing import ParsedRow, _BulkCreator

    given = (group_answers if kind == "groups" else household_answers)(**answers)
    save: Any = group_save_answers if kind == "groups" else household_save_answers
    with pytest.raises(ValidationError) as by_service:
        save(programme=programme, city=city, answers=given, actor=None)
    bulk = _BulkCreator(programme=programme, kind=kind, actor=None)
    with pytest.raises(ValidationError) as by_import:
        bulk.build(row=ParsedRow(sheet="s", row=2, uuid="u", city="", answers=given), city=city)
    expected = {
        key: messages
        for key, messages in by_service.value.message_dict.items()
        if key not in ("reference", "__all__")
    }
    # The import names a member's field with its row (members.0.age), to find its sheet row.
    found = {
        re.sub(r"^(members|persons)\.0\.", "", key): messages
        for key, messages in by_import.value.message_dict.items()
    }
    assert found == expected


def test_without_insert_returning_the_records_find_their_members_by_reference(
    programme: Any, city: Any, postcodes: int, monkeypatch: Any
) -> None:
    from django.db import connection

    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    report = run_import(
        programme=programme,
        city=city,
        kind="groups",
        files=load(["odk-central/groups.csv.zip"]),
        actor=None,
        dry_run=False,
    )
    assert report["committed"], report["rows"]
    for submission in ANSWERS["groups"]:
        if submission["review"] == "rejected":
            continue
        group = WelcomeGroup.objects.get(external_uuid=submission_id(submission["uuid"]))
        names = list(group.members.order_by("id").values_list("first_name", flat=True))
        assert names == [m["first_name"] for m in submission["answers"]["members"]]
