"""Import of survey responses: Kobo/ODK-style files, errors naming row and column, dry run,
all-or-nothing commit, personal links, re-import updating; the instrument as XLSForm."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from tests.factories import make_city, make_programme
from tests.intake.exports import csv_bytes, kobo_export
from welcomematch.cli import main
from welcomematch.surveys.importing import (
    ERR_ANSWERED_ELSEWHERE,
    ERR_UNKNOWN_RESPONDENT,
    ERR_WRONG_WAVE,
    current_instrument,
    run_import,
)
from welcomematch.surveys.models import Answer, Respondent, Response, Source, SurveyWave
from welcomematch.surveys.xlsform import xlsform_bytes

pytestmark = pytest.mark.django_db

G, N = "group_member", "newcomer"


@pytest.fixture
def programme(db: Any) -> Any:
    return make_programme()


@pytest.fixture
def city(programme: Any) -> Any:
    return make_city(programme, "Almere")


def _import(
    programme: Any,
    side: str,
    content: bytes,
    *,
    name: str = "export.csv",
    moment: str = "midterm",
    commit: bool = False,
) -> dict[str, Any]:
    return run_import(
        programme=programme,
        moment=moment,
        side=side,
        files=[(name, content)],
        actor=None,
        dry_run=not commit,
    )


def _answers(response: Response) -> dict[str, Any]:
    return {a.item_code: a.value for a in response.answers.all()}


def _respondent(
    programme: Any,
    city: Any,
    *,
    side: str = N,
    moment: str = "midterm",
    token: str = "secret-token",
) -> Respondent:
    # Waves and links are the surveys helper's services; the rows are made directly here
    # because only their shape matters to the importer.
    import hashlib

    now = timezone.now()
    wave = SurveyWave.objects.create(
        programme=programme,
        moment=moment,
        city=city,
        opened_at=now,
        closes_at=now + timedelta(days=30),
    )
    return Respondent.objects.create(
        wave=wave,
        side=side,
        city=city,
        trial_arm="treatment",
        language="en",
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        expires_at=now + timedelta(days=30),
    )


# --- Kobo-style XLSX made from our own XLSForm ----------------------------------------------


def _kobo(side: str, submissions: list[dict[str, Any]]) -> bytes:
    form = xlsform_bytes(current_instrument(moment="midterm", side=side))
    return kobo_export(form, submissions, main="midterm")


def test_kobo_export_dry_run_writes_nothing_and_commit_writes_every_row(programme):
    export = _kobo(
        N,
        [
            {
                "uuid": "u1",
                "answers": {
                    "trust_match": "strongly_agree",
                    "work_status": ["part_time", "volunteer"],
                    "dutch_cefr": "B1",
                    "trial_arm": "treatment",
                },
            },
            {
                "uuid": "u2",
                "answers": {
                    "trust_match": "neutral",
                    "work_status": ["looking"],
                    "dutch_cefr": "none",
                    "trial_arm": "treatment",
                },
            },
        ],
    )
    report = _import(programme, N, export, name="kobo.xlsx")
    assert report["errors"] == 0, report
    assert report["created"] == 2 and not report["committed"]
    assert Response.objects.count() == 0 and Answer.objects.count() == 0
    report = _import(programme, N, export, name="kobo.xlsx", commit=True)
    assert report["committed"] and report["created"] == 2
    first = Response.objects.get(external_id="u1")
    assert first.source == Source.IMPORT and first.submitted_at is not None
    assert first.respondent is None and first.trial_arm == "treatment"
    answers = _answers(first)
    assert answers["trust_match"] == "strongly_agree"
    assert answers["work_status"] == ["part_time", "volunteer"]
    assert answers["dutch_cefr"] == "B1"
    assert first.submitted_at.isoformat() == "2026-11-01T10:09:30+00:00"


def test_group_prefixes_and_one_column_per_option_are_read(programme, city):
    content = csv_bytes(
        [
            [
                "_uuid",
                "city",
                "midterm/trust_match",
                "midterm/work_status/full_time",
                "midterm/work_status/volunteer",
                "midterm/dutch_cefr",
                "comment",
            ],
            ["a", "Almere", "somewhat_agree", "1", "1", "A2", "x"],
            ["b", "almere", "", "0", "0", "", "y"],
        ]
    )
    report = _import(programme, N, content, commit=True)
    assert report["errors"] == 0, report
    assert "comment" in report["ignored"]
    a = Response.objects.get(external_id="a")
    b = Response.objects.get(external_id="b")
    assert _answers(a) == {
        "trust_match": "somewhat_agree",
        "work_status": ["full_time", "volunteer"],
        "dutch_cefr": "A2",
    }
    assert a.city == city and b.city == city
    assert _answers(b) == {}  # blanks are no answers; the row still counts as a response


def test_space_separated_codes_and_labels(programme):
    content = csv_bytes(
        [
            ["meta/instanceID", "work_status", "trust_match"],
            ["uuid:odk-1", "volunteer student", "Strongly agree"],
        ],
        delimiter=",",
    )
    report = _import(programme, N, content, commit=True)
    assert report["errors"] == 0, report
    response = Response.objects.get(external_id="odk-1")
    assert _answers(response) == {
        "work_status": ["volunteer", "student"],
        "trust_match": "strongly_agree",
    }


def test_unknown_option_names_row_and_column_and_nothing_is_written(programme):
    content = csv_bytes(
        [
            ["_uuid", "midterm/trust_match", "midterm/became_friends"],
            ["a", "strongly_agree", "neutral"],
            ["b", "strongly_agree", "very_much"],
        ]
    )
    report = _import(programme, G, content, commit=True)
    assert not report["committed"] and report["errors"] == 1
    [error] = [e for row in report["rows"] for e in row["errors"]]
    assert error["row"] == 3
    assert error["column"] == "midterm/became_friends"
    assert error["field"] == "became_friends"
    assert "very_much" in error["message"]
    assert Response.objects.count() == 0


def test_an_answer_breaking_the_scale_rules_is_an_error(programme):
    content = csv_bytes(
        [
            ["_uuid", "group_role"],
            ["a", "friend coach buddy teacher"],
        ]
    )
    report = _import(programme, G, content, commit=True)
    [error] = report["rows"][0]["errors"]
    assert error["column"] == "group_role" and "at most 3" in error["message"]
    assert Response.objects.count() == 0


def test_reimport_by_uuid_updates_instead_of_duplicating(programme):
    first = csv_bytes([["_uuid", "trust_match", "became_friends"], ["a", "neutral", "neutral"]])
    second = csv_bytes(
        [
            ["_uuid", "trust_match", "became_friends"],
            ["a", "strongly_agree", ""],
            ["c", "neutral", "neutral"],
        ]
    )
    _import(programme, G, first, commit=True)
    report = _import(programme, G, second, commit=True)
    assert (report["created"], report["updated"]) == (1, 1)
    assert Response.objects.count() == 2
    assert _answers(Response.objects.get(external_id="a")) == {"trust_match": "strongly_agree"}


def test_respondent_column_links_the_personal_link_and_reimport_updates(programme, city):
    respondent = _respondent(programme, city)
    content = csv_bytes(
        [["respondent", "trust_match"], [str(respondent.pk), "neutral"], ["", "neutral"]]
    )
    report = _import(programme, N, content, commit=True)
    assert report["errors"] == 0, report
    linked = Response.objects.get(respondent=respondent)
    assert linked.city == city and linked.trial_arm == "treatment"
    assert Response.objects.filter(respondent__isnull=True).count() == 1  # anonymous row
    again = csv_bytes([["respondent", "trust_match"], ["secret-token", "strongly_agree"]])
    report = _import(programme, N, again, commit=True)
    assert report["updated"] == 1 and report["created"] == 0
    assert Response.objects.filter(respondent=respondent).count() == 1
    assert _answers(Response.objects.get(respondent=respondent)) == {
        "trust_match": "strongly_agree"
    }


def test_unknown_or_wrong_respondent_is_an_error(programme, city):
    other = _respondent(programme, city, side=G, token="other")
    content = csv_bytes(
        [["respondent", "trust_match"], ["999999", "neutral"], [str(other.pk), "neutral"]]
    )
    report = _import(programme, N, content, commit=True)
    messages = [e["message"] for row in report["rows"] for e in row["errors"]]
    assert messages == [
        ERR_UNKNOWN_RESPONDENT.format(value="999999"),
        ERR_WRONG_WAVE.format(value=str(other.pk), moment="midterm", side=G),
    ]
    assert Response.objects.count() == 0


def test_a_response_sent_through_the_link_is_not_overwritten(programme, city):
    respondent = _respondent(programme, city)
    now = timezone.now()
    Response.objects.create(
        programme=programme,
        moment="midterm",
        side=N,
        respondent=respondent,
        instrument=current_instrument(moment="midterm", side=N),
        started_at=now,
        submitted_at=now,
        source=Source.WEB,
    )
    content = csv_bytes([["respondent", "trust_match"], [str(respondent.pk), "neutral"]])
    report = _import(programme, N, content, commit=True)
    assert report["rows"][0]["errors"][0]["message"] == ERR_ANSWERED_ELSEWHERE
    assert not Answer.objects.exists()


def test_file_without_item_columns_or_rows_is_a_clear_error(programme):
    report = _import(programme, N, csv_bytes([["name", "email"], ["x", "y"]]), commit=True)
    assert report["errors"] and "No column" in report["file_errors"][0]
    report = _import(programme, N, csv_bytes([["trust_match"]]), commit=True)
    assert report["file_errors"] == ["The export has no rows."]


# --- the console commands ---------------------------------------------------------------


def test_survey_import_command_dry_run_then_commit(programme, tmp_path: Path, capsys):
    path = tmp_path / "export.csv"
    path.write_bytes(csv_bytes([["_uuid", "trust_match"], ["a", "neutral"]]))
    assert main(["survey", "import", "midterm", "group_member", str(path)]) == 0
    assert "Dry run" in capsys.readouterr().out
    assert not Response.objects.exists()
    assert (
        main(
            [
                "survey",
                "import",
                "midterm",
                "group_member",
                str(path),
                "--programme",
                programme.slug,
                "--commit",
            ]
        )
        == 0
    )
    assert Response.objects.count() == 1


def test_survey_import_command_errors_exit_2_without_traceback(programme, tmp_path, capsys):
    path = tmp_path / "export.csv"
    path.write_bytes(csv_bytes([["_uuid", "trust_match"], ["a", "maybe"]]))
    assert main(["survey", "import", "midterm", "group_member", str(path), "--commit"]) == 2
    captured = capsys.readouterr()
    assert "row 2, column 'trust_match' (trust_match)" in captured.out
    assert "Traceback" not in captured.err
    assert not Response.objects.exists()
    assert main(["survey", "import", "midterm", "group_member", str(tmp_path / "none.csv")]) == 2
    assert (
        main(["survey", "import", "midterm", "group_member", str(path), "--programme", "nope"]) == 2
    )


@pytest.mark.parametrize("moment", ["intake", "midterm", "final"])
@pytest.mark.parametrize("side", [G, N])
def test_survey_form_is_a_bilingual_xlsform_valid_for_pyxform(db, moment, side, tmp_path):
    from pyxform.xls2xform import convert

    instrument = current_instrument(moment=moment, side=side)
    if instrument is None:
        pytest.skip(f"no shipped {moment} instrument for {side}")
    target = tmp_path / "form.xlsx"
    assert main(["survey", "form", moment, side, "-o", str(target)]) == 0
    result = convert(xlsform=target.read_bytes(), file_type=".xlsx")
    assert 'lang="English (en)"' in result.xform and 'lang="Nederlands (nl)"' in result.xform
    header = [c.value for c in load_workbook(io.BytesIO(target.read_bytes()))["survey"][1]]
    assert "label::English (en)" in header and "label::Nederlands (nl)" in header
    for item in instrument.items.all():
        assert f"/{moment}/{item.code}" in result.xform


def test_control_households_skip_match_items_in_the_xlsform(db):
    from pyxform.xls2xform import convert

    instrument = current_instrument(moment="final", side=N)
    if instrument is None or not instrument.items.filter(concerns_match=True).exists():
        pytest.skip("no final newcomer item concerns the match")
    xform = convert(xlsform=xlsform_bytes(instrument), file_type=".xlsx").xform
    assert "relevant=\" /welcomematch_final_newcomer/trial_arm  != 'control'\"" in xform or (
        "trial_arm" in xform and "!= 'control'" in xform
    )


# --- the same from the web ----------------------------------------------------------------


def _web_client(programme: Any, role: str) -> Any:
    from django.test import Client

    from tests.factories import PASSWORD, make_user
    from welcomematch.accounts.models import Role

    make_user(Role(role), username=f"web-{role}", programme=programme)
    client = Client()
    assert client.login(username=f"web-{role}", password=PASSWORD)
    return client


def _upload(content: bytes, name: str = "export.csv") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")


@pytest.mark.parametrize(
    ("role", "status"),
    [("administrator", 200), ("coordinator", 200), ("researcher", 403), ("ambassador", 403)],
)
def test_who_may_import_from_the_web(programme, role, status):
    assert _web_client(programme, role).get("/surveys/import/").status_code == status


def test_web_check_writes_nothing_then_import_writes_all(programme):
    client = _web_client(programme, "coordinator")
    content = csv_bytes([["_uuid", "trust_match"], ["a", "neutral"], ["b", "strongly_agree"]])
    form = {"moment": "midterm", "side": G}
    response = client.post("/surveys/import/", {**form, "exports": _upload(content), "check": ""})
    assert response.status_code == 200
    assert "2 nieuw, 0 bijgewerkt, 0 fouten" in response.content.decode()
    assert not Response.objects.exists()
    response = client.post("/surveys/import/", {**form, "exports": _upload(content), "commit": ""})
    assert response.status_code == 200
    assert Response.objects.count() == 2
    assert Response.objects.get(external_id="a").entered_by.username == "web-coordinator"


def test_web_import_with_an_unknown_option_names_row_and_column_and_writes_nothing(programme):
    client = _web_client(programme, "coordinator")
    content = csv_bytes([["_uuid", "midterm/trust_match"], ["a", "neutral"], ["b", "sort_of"]])
    response = client.post(
        "/surveys/import/",
        {"moment": "midterm", "side": G, "exports": _upload(content), "commit": ""},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "kolom “midterm/trust_match”" in html and "sort_of" in html
    assert "<td>3</td>" in html
    assert not Response.objects.exists()
