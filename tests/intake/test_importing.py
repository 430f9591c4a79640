"""Import of survey exports: both header styles, repeats, select_multiple, errors, re-import."""

from __future__ import annotations

from typing import Any

import pytest

from tests.intake.answers import group_answers, household_answers
from tests.intake.exports import csv_bytes, kobo_export, xlsx
from welcomematch.core.levels import SSM_DOMAINS
from welcomematch.intake.importing import (
    ERR_REQUIRED,
    import_commit,
    import_preview,
    run_import,
)
from welcomematch.intake.models import (
    GroupMember,
    Household,
    ImportMapping,
    ImportRun,
    WelcomeGroup,
)
from welcomematch.intake.questions import GROUP_QUESTIONNAIRE, HOUSEHOLD_QUESTIONNAIRE
from welcomematch.intake.xlsform import xlsform_bytes

pytestmark = pytest.mark.django_db

GROUP_MAIN_HEADERS = [
    "start",
    "end",
    "group/name",
    "group/contact_email",
    "group/postcode",
    "group/acquaintance",
    "group/languages",
    "group/languages/nl",
    "group/languages/ar",
    "group/motivation",
    "matching/willingness",
    "matching/experience",
    "matching/ranking",
    "matching/hours_per_month",
    "matching/contact_kind",
    "matching/availability",
    "agreement/consent",
    "agreement/non_discrimination",
    "_id",
    "_uuid",
    "_submission_time",
    "_index",
]
RANKING = "family_with_children single_parent couple single_woman single_man single_other"


def group_row(
    index: int, uuid: str, name: str, postcode: str = "1315 AB", hours: Any = 10
) -> list[Any]:
    return [
        "2026-11-01T10:00:00",
        "2026-11-01T10:09:00",
        name,
        f"g{index}@example.org",
        postcode,
        "neighbours",
        "nl ar",
        1,
        1,
        "Samen sterk",
        "2",
        "1",
        RANKING,
        hours,
        "both",
        "weekends",
        "OK",
        "OK",
        500 + index,
        uuid,
        "2026-11-01T10:09:30",
        index,
    ]


def kobo_groups_xlsx(rows: list[list[Any]], members: list[list[Any]]) -> bytes:
    member_headers = [
        "members/first_name",
        "members/age",
        "members/gender",
        "members/volunteered_with_refugees",
        "_index",
        "_parent_table_name",
        "_parent_index",
        "_submission__uuid",
    ]
    return xlsx(
        {"Welkomstgroep": [GROUP_MAIN_HEADERS, *rows], "members": [member_headers, *members]}
    )


def two_groups() -> bytes:
    return kobo_groups_xlsx(
        [group_row(1, "aaaa-1111", "De Buren"), group_row(2, "bbbb-2222", "Hofje Zeven", "3198")],
        [
            ["Anna", 41, "woman", "yes", 1, "Welkomstgroep", 1, "aaaa-1111"],
            ["Bas", 38, "man", "no", 2, "Welkomstgroep", 1, "aaaa-1111"],
            ["Cor", 67, "man", "no", 3, "Welkomstgroep", 2, "bbbb-2222"],
        ],
    )


def test_kobo_xlsx_with_name_headers_and_member_sheet_imports_groups(
    programme: Any, city: Any, postcodes: int
) -> None:
    preview = run_import(
        programme=programme,
        city=city,
        kind="groups",
        files=[("groups.xlsx", two_groups())],
        actor=None,
        dry_run=True,
    )
    assert preview["errors"] == 0, preview["rows"]
    assert [r["action"] for r in preview["rows"]] == ["create", "create"]
    assert WelcomeGroup.objects.count() == 0  # a dry run changes nothing
    report = run_import(
        programme=programme,
        city=city,
        kind="groups",
        files=[("groups.xlsx", two_groups())],
        actor=None,
        dry_run=False,
    )
    assert report["committed"]
    buren = WelcomeGroup.objects.get(external_uuid="aaaa-1111")
    assert buren.languages == ["nl", "ar"]
    assert buren.ranking == RANKING.split()
    assert buren.capacity == 2
    assert [m.first_name for m in buren.members.all()] == ["Anna", "Bas"]
    assert buren.members.get(first_name="Anna").volunteered_with_refugees
    assert buren.latitude == pytest.approx(52.3712)
    assert WelcomeGroup.objects.get(external_uuid="bbbb-2222").members.count() == 1


def test_reimporting_the_same_export_updates_and_never_duplicates(
    programme: Any, city: Any, postcodes: int
) -> None:
    run_import(
        programme=programme,
        city=city,
        kind="groups",
        files=[("g.xlsx", two_groups())],
        actor=None,
        dry_run=False,
    )
    changed = kobo_groups_xlsx(
        [
            group_row(1, "aaaa-1111", "De Buren (nieuw)", hours=20),
            group_row(2, "bbbb-2222", "Hofje Zeven", "3198"),
        ],
        [
            ["Anna", 42, "woman", "yes", 1, "Welkomstgroep", 1, "aaaa-1111"],
            ["Cor", 67, "man", "no", 2, "Welkomstgroep", 2, "bbbb-2222"],
        ],
    )
    report = run_import(
        programme=programme,
        city=city,
        kind="groups",
        files=[("g.xlsx", changed)],
        actor=None,
        dry_run=False,
    )
    assert [r["action"] for r in report["rows"]] == ["update", "update"]
    assert WelcomeGroup.objects.count() == 2
    buren = WelcomeGroup.objects.get(external_uuid="aaaa-1111")
    assert (buren.name, buren.hours_per_month) == ("De Buren (nieuw)", 20)
    assert [(m.first_name, m.age) for m in buren.members.all()] == [("Anna", 42)]
    assert GroupMember.objects.count() == 2


def test_a_file_with_errors_changes_nothing_and_names_row_column_and_field(
    programme: Any, city: Any, postcodes: int
) -> None:
    bad = kobo_groups_xlsx(
        [
            group_row(1, "aaaa-1111", "De Buren"),
            group_row(2, "bbbb-2222", "Hofje", "1011 AB", hours="veel"),
        ],
        [
            ["Anna", 41, "woman", "yes", 1, "Welkomstgroep", 1, "aaaa-1111"],
            ["Cor", "", "alien", "no", 2, "Welkomstgroep", 2, "bbbb-2222"],
        ],
    )
    run = import_preview(
        programme=programme, city=city, kind="groups", files=[("bad.xlsx", bad)], actor=None
    )
    assert run.status == ImportRun.Status.FAILED
    errors = [e for row in run.report["rows"] for e in row["errors"]]
    where = {(e["sheet"], e["row"], e["column"], e["field"]) for e in errors}
    assert ("Welkomstgroep", 3, "matching/hours_per_month", "hours_per_month") in where
    assert ("members", 3, "members/gender", "gender") in where
    assert ("members", 3, "members/age", "age") in where
    assert any(e["message"] == ERR_REQUIRED for e in errors)
    committed = import_commit(run=run, actor=None)
    assert committed.status == ImportRun.Status.FAILED
    assert WelcomeGroup.objects.count() == 0 and GroupMember.objects.count() == 0


def test_unknown_postcode_is_reported_on_its_column(
    programme: Any, city: Any, postcodes: int
) -> None:
    bad = kobo_groups_xlsx(
        [group_row(1, "aaaa-1111", "De Buren", "1011 AB")],
        [["Anna", 41, "woman", "yes", 1, "W", 1, "aaaa-1111"]],
    )
    report = run_import(
        programme=programme,
        city=city,
        kind="groups",
        files=[("bad.xlsx", bad)],
        actor=None,
        dry_run=False,
    )
    (error,) = report["rows"][0]["errors"]
    assert (error["row"], error["column"], error["field"]) == (2, "group/postcode", "postcode")
    assert WelcomeGroup.objects.count() == 0


def household_label_csv(
    language: str, uuid: str = "hh-1", postcode: str = "2511 CV"
) -> tuple[bytes, bytes]:
    """A Kobo CSV with label headers in one language, select_multiple as 0/1 columns."""
    nl = language == "nl"
    questions = {q.name: q for q in HOUSEHOLD_QUESTIONNAIRE.questions}

    def label(name: str) -> str:
        return questions[name].nl if nl else questions[name].en

    arabic = "Arabisch" if nl else "Arabic"
    work = "Werk" if nl else "Work"
    trauma = "Traumatische achtergrond" if nl else "Trauma background"
    headers = [
        label("contact_name"),
        label("postcode"),
        label("country_of_origin"),
        f"{label('languages')}/{arabic}",
        label("cefr_dutch"),
        label("cefr_english"),
        f"{label('goals')}/{work}",
        label("ranking"),
        *(label(f"ssm_{d}") for d in SSM_DOMAINS),
        f"{label('support_flags')}/{trauma}",
        label("consent"),
        label("non_discrimination"),
        "_uuid",
        "_submission_time",
        "_index",
    ]
    row = [
        "Amal Haddad",
        postcode,
        "SY",
        1,
        "A2",
        "B1",
        1,
        "with_children mixed_ages young_adults middle_aged seniors",
        *(["2"] + ["4"] * 12),
        1,
        "OK",
        "OK",
        uuid,
        "2026-11-02T09:00:00",
        1,
    ]
    persons = [
        [label("relation"), label("age"), label("gender"), "_index", "_parent_index"],
        ["Hoofdcontactpersoon" if nl else "Main contact", 34, "Vrouw" if nl else "Woman", 1, 1],
        ["Kind" if nl else "Child", 6, "Man", 2, 1],
    ]
    return csv_bytes([headers, row], delimiter=";" if nl else ","), csv_bytes(
        persons, delimiter=";" if nl else ","
    )


@pytest.mark.parametrize("language", ["nl", "en"])
def test_csv_with_label_headers_in_either_language_imports_a_household(
    programme: Any, city: Any, postcodes: int, language: str
) -> None:
    main, persons = household_label_csv(language)
    report = run_import(
        programme=programme,
        city=city,
        kind="households",
        files=[("huishoudens.csv", main), ("persons.csv", persons)],
        actor=None,
        dry_run=False,
    )
    assert report["errors"] == 0, report["rows"]
    household = Household.objects.get(external_uuid="hh-1")
    assert household.household_type == "single_parent"
    assert household.languages == ["ar"]
    assert household.goals == ["work"]
    assert household.support_flags["trauma"] is True
    assert household.ssm_scores["finances"] == 2
    assert household.vulnerability == 1
    assert household.cefr_dutch == "A2"


def test_web_import_previews_then_commits_and_saves_the_mapping(
    users: dict[str, Any], city: Any, postcodes: int
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.urls import reverse

    from tests.factories import PASSWORD

    client = Client()
    client.login(username=users["coordinator"].username, password=PASSWORD)
    upload = SimpleUploadedFile("groups.xlsx", two_groups())
    response = client.post(
        reverse("intake:import"), {"kind": "groups", "city": city.pk, "exports": [upload]}
    )
    assert response.status_code == 302
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.PREVIEWED
    assert WelcomeGroup.objects.count() == 0
    page = client.get(response["Location"])
    assert b"De Buren" in page.content
    client.post(response["Location"])
    run.refresh_from_db()
    assert run.status == ImportRun.Status.COMMITTED
    assert WelcomeGroup.objects.count() == 2
    assert run.files == []  # the upload is not kept once its answers are in the records
    mapping = ImportMapping.objects.get(programme=city.programme, kind="groups")
    assert mapping.columns["group/languages/ar"] == "languages/ar"


def test_saved_mapping_maps_a_programme_specific_header(
    programme: Any, city: Any, postcodes: int
) -> None:
    ImportMapping.objects.create(
        programme=programme, kind="groups", columns={"Groepsnaam (eigen vraag)": "name"}
    )
    export = two_groups()
    import io

    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(export))
    workbook["Welkomstgroep"]["C1"] = "Groepsnaam (eigen vraag)"
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = run_import(
        programme=programme,
        city=city,
        kind="groups",
        files=[("g.xlsx", buffer.getvalue())],
        actor=None,
        dry_run=True,
    )
    assert report["errors"] == 0, report["rows"]


@pytest.mark.parametrize(
    ("questionnaire", "answers", "kind"),
    [
        (GROUP_QUESTIONNAIRE, group_answers(), "groups"),
        (HOUSEHOLD_QUESTIONNAIRE, household_answers(), "households"),
    ],
)
def test_round_trip_xlsform_to_export_to_import_gives_the_same_participant(
    programme: Any,
    city: Any,
    postcodes: int,
    questionnaire: Any,
    answers: dict[str, Any],
    kind: str,
) -> None:
    from welcomematch.intake.services import group_save_answers, household_save_answers

    form = xlsform_bytes(questionnaire)
    export = kobo_export(form, [{"uuid": "rt-1", "answers": answers}])
    report = run_import(
        programme=programme,
        city=city,
        kind=kind,
        files=[("export.xlsx", export)],
        actor=None,
        dry_run=False,
    )
    assert report["errors"] == 0, report["rows"]
    assert not report["ignored"][next(iter(report["ignored"]))]
    model = WelcomeGroup if kind == "groups" else Household
    imported = model.objects.get(external_uuid="rt-1")
    save = group_save_answers if kind == "groups" else household_save_answers
    direct = save(programme=programme, city=city, answers=answers, actor=None)  # type: ignore[operator]
    skip = {
        "id",
        "reference",
        "external_uuid",
        "created_at",
        "updated_at",
        "intake_completed_at",
        "consent_at",
        "non_discrimination_at",
    }
    fields = [f.name for f in model._meta.concrete_fields if f.name not in skip]
    assert {f: getattr(imported, f) for f in fields} == {f: getattr(direct, f) for f in fields}
    related = "members" if kind == "groups" else "persons"

    def strip(rows: Any) -> list[dict[str, Any]]:
        skip = ("id", "group_id", "household_id")
        return [{k: v for k, v in r.items() if k not in skip} for r in rows]

    assert strip(getattr(imported, related).values()) == strip(getattr(direct, related).values())
