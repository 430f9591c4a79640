"""The trial page and its exports: who may open what, what each role sees, the audit trail."""

from __future__ import annotations

import csv
import html as html_module
import io
import zipfile

import pytest
from django.test import Client
from django.urls import reverse

from tests.trial.fixtures import build_trial
from welcomematch.accounts.models import AuditEvent, Role
from welcomematch.core.trial import parse_trial_csv
from welcomematch.trial.models import RegisterEntry

pytestmark = pytest.mark.django_db

PAGE = {
    None: 302,
    Role.RESEARCHER: 200,
    Role.AMBASSADOR: 403,
    Role.COORDINATOR: 200,
    Role.ADMINISTRATOR: 200,
}
EXPORTS = {
    None: 302,
    Role.RESEARCHER: 200,
    Role.AMBASSADOR: 403,
    Role.COORDINATOR: 403,
    Role.ADMINISTRATOR: 200,
}


@pytest.fixture
def trial():
    """Every treatment household answered the final survey, two of the three controls."""
    return build_trial(answer_controls=2)


@pytest.fixture
def as_role(trial):
    def client_for(role):
        client = Client()
        if role is not None:
            client.force_login(trial["users"][role])
        return client

    return client_for


def test_who_may_open_the_trial_page_and_the_exports(as_role):
    for role, expected in PAGE.items():
        assert as_role(role).get(reverse("trial:study")).status_code == expected, role
    for name in ("trial:register_export", "trial:research_export"):
        for role, expected in EXPORTS.items():
            assert as_role(role).get(reverse(name)).status_code == expected, (name, role)


def test_the_page_shows_register_balance_analysis_and_attrition_chart(as_role, trial):
    response = as_role(Role.RESEARCHER).get(reverse("trial:study"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert 'id="balance"' in html and 'id="units"' in html
    assert len(response.context["units"]) == 3
    (gain, work) = response.context["outcomes"]
    assert (gain["data"]["outcome"], work["data"]["outcome"]) == (
        "dutch_cefr_gain",
        "in_work_or_education",
    )
    assert gain["data"]["observed"] == {"treatment": 3, "control": 2}
    assert gain["data"]["paired"]["pairs"] == 2
    assert gain["chart"].startswith("<svg") and 'id="outcome-0' in html
    assert 'id="attrition' in html
    assert gain["summary"] in html_module.unescape(html)
    assert gain["label"] in gain["summary"] and "dutch_cefr_gain" not in gain["summary"]


def test_researchers_see_nothing_identifying_and_no_follow_up_list(as_role, trial):
    html = as_role(Role.RESEARCHER).get(reverse("trial:study")).content.decode()
    assert 'id="response-warning"' in html
    assert 'id="follow-up"' not in html
    for unit in trial["units"]:
        for household in (unit.household, unit.treatment_household):
            assert household.contact_name not in html
            assert household.reference not in html


def test_coordinators_get_the_control_households_to_follow_up(as_role, trial):
    response = as_role(Role.COORDINATOR).get(reverse("trial:study"))
    html = response.content.decode()
    assert 'id="follow-up"' in html
    follow_up = html.split('id="follow-up"')[1].split("</table>")[0]
    names = {u.household.contact_name for u in trial["units"]}
    assert {n for n in names if n in follow_up} == {trial["units"][2].household.contact_name}


def test_the_summary_follows_the_page_language(as_role):
    client = as_role(Role.RESEARCHER)
    client.cookies["django_language"] = "nl"
    nl = client.get(reverse("trial:study")).context["outcomes"][0]["data"]["summary"]
    client.cookies["django_language"] = "en"
    en = client.get(reverse("trial:study")).context["outcomes"][0]["data"]["summary"]
    assert nl != en


def _zip(response):
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


def test_the_research_export_is_pseudonymous_with_a_codebook_and_audited(as_role, trial):
    before = AuditEvent.objects.filter(action="trial.research_exported").count()
    response = as_role(Role.RESEARCHER).get(reverse("trial:research_export"))
    assert response["Content-Type"] == "application/zip"
    files = _zip(response)
    assert set(files) == {
        "trial.csv",
        "balance.csv",
        "study.csv",
        "units.csv",
        "entries.csv",
        "codebook.csv",
    }
    data = parse_trial_csv(files["trial.csv"])
    assert len(data.rows) == 6
    documented = {
        (row["file"], row["column"]) for row in csv.DictReader(io.StringIO(files["codebook.csv"]))
    }
    for name in ("trial.csv", "balance.csv", "units.csv", "entries.csv"):
        header = next(csv.reader(io.StringIO(files[name])))
        assert {(name, column) for column in header} <= documented, name
    everything = "".join(files.values())
    for unit in trial["units"]:
        for household in (unit.household, unit.treatment_household):
            assert household.contact_name not in everything
            assert household.reference not in everything
    assert "0612345678" not in everything
    events = AuditEvent.objects.filter(action="trial.research_exported")
    assert events.count() == before + 1
    assert events.first().actor == trial["users"][Role.RESEARCHER]


def test_the_register_gives_each_unit_its_coin_seed_and_chances(as_role, trial):
    files = _zip(as_role(Role.ADMINISTRATOR).get(reverse("trial:register_export")))
    units = list(csv.DictReader(io.StringIO(files["units.csv"])))
    assert len(units) == 3
    for row in units:
        assert row["seed"] == str(trial["round"].seed)
        assert row["probability_source"] == "coin"
        assert row["p_treatment_of_treated"] == "0.5"
        assert row["coin"] in {"0", "1"}
    assert "dutch_cefr_gain" in files["study.csv"]


def test_a_lottery_audit_replaces_the_coin_in_the_register(as_role, trial):
    client = as_role(Role.RESEARCHER)
    response = client.post(
        reverse("trial:lottery_audit"), {"round": trial["round"].pk, "draws": 20}
    )
    assert response.status_code == 302
    files = _zip(client.get(reverse("trial:register_export")))
    units = list(csv.DictReader(io.StringIO(files["units.csv"])))
    assert {row["probability_source"] for row in units} == {"lottery_audit:20"}
    for row in units:
        assert 0.0 <= float(row["p_treatment_of_treated"]) <= 1.0
        assert float(row["p_treatment_of_treated"]) + float(row["p_control_of_treated"]) <= 1.0


def test_only_an_administrator_records_a_deviation_and_it_shows_in_the_analysis(as_role, trial):
    control = trial["units"][2].household
    url = reverse("trial:deviation")
    form = {"deviation-household": control.pk, "deviation-reason": "Acute need for support"}
    assert as_role(Role.COORDINATOR).post(url, form).status_code == 403
    assert as_role(Role.RESEARCHER).post(url, form).status_code == 403
    assert not RegisterEntry.objects.exists()
    assert as_role(Role.ADMINISTRATOR).post(url, form).status_code == 302
    entry = RegisterEntry.objects.get()
    assert (entry.kind, entry.household, entry.arm) == ("deviation", control, "control")
    page = as_role(Role.RESEARCHER).get(reverse("trial:study"))
    assert page.context["deviations"] == 1
    assert "Acute need" not in page.content.decode()
    assert "Acute need" in as_role(Role.COORDINATOR).get(reverse("trial:study")).content.decode()


def test_an_administrator_sets_up_the_study_on_the_page():
    from tests.factories import make_programme, make_user
    from welcomematch.trial.models import Study

    programme = make_programme()
    admin = make_user(Role.ADMINISTRATOR, programme=programme)
    coordinator = make_user(Role.COORDINATOR, programme=programme)
    form = {
        "title": "Trial",
        "starts_on": "2026-01-01",
        "ends_on": "2027-01-01",
        "analysis_seed": "11",
        "outcomes": ["dutch_cefr_gain", "in_work_or_education"],
    }
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(coordinator)
    assert client.post(reverse("trial:study_create"), form).status_code == 403
    client.force_login(admin)
    assert 'name="starts_on"' in client.get(reverse("trial:study")).content.decode()
    bad = client.post(reverse("trial:study_create"), {**form, "ends_on": "2025-01-01"}, follow=True)
    assert "must end after it starts" in bad.content.decode()
    untitled = client.post(reverse("trial:study_create"), {**form, "title": ""})
    assert untitled.status_code == 400
    summary = untitled.content.decode().split('id="error-summary"')[1].split("</div>")[0]
    assert 'href="#id_title"' in summary
    assert not Study.objects.exists()
    client.post(reverse("trial:study_create"), form)
    study = Study.objects.get(programme=programme)
    assert (study.analysis_seed, [o.code for o in study.outcomes.all()]) == (
        11,
        ["dutch_cefr_gain", "in_work_or_education"],
    )
    assert AuditEvent.objects.filter(action="study.created", actor=admin).exists()


def test_the_register_tables_are_paged_with_their_totals(as_role, monkeypatch):
    from welcomematch.trial import views

    monkeypatch.setattr(views, "REGISTER_PAGE_SIZE", 2)
    url = reverse("trial:study")
    response = as_role(Role.RESEARCHER).get(url, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert len(response.context["units"]) == 2 and "3 randomised pairs" in html
    assert "?units=2" in html and "Page 1 of 2" in html
    second = as_role(Role.RESEARCHER).get(url, {"units": 2}, HTTP_ACCEPT_LANGUAGE="en")
    assert len(second.context["units"]) == 1


def test_a_withdrawal_without_a_reason_is_shown_again_with_the_error_summary(as_role, trial):
    household = trial["units"][0].treatment_household
    response = as_role(Role.COORDINATOR).post(
        reverse("trial:withdrawal"),
        {"withdrawal-household": household.pk, "withdrawal-reason": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    summary = response.content.decode().split('id="error-summary"')[1].split("</div>")[0]
    assert 'href="#id_withdrawal-reason"' in summary
    assert not RegisterEntry.objects.exists()
