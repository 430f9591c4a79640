"""Consent per purpose, a person's data export, erasure that keeps research and rounds intact,
and retention periods applied by ``welcomematch retention apply``."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_group, make_household
from tests.web.helpers import make_match, make_trial, make_world
from welcomematch.accounts.models import AuditEvent, Role
from welcomematch.cli import main
from welcomematch.core import engine, roundfile
from welcomematch.intake.models import GroupInvitation, Household
from welcomematch.intake.services import invitation_create
from welcomematch.lifecycle import services as lifecycle
from welcomematch.matching import selectors as round_selectors
from welcomematch.privacy import services
from welcomematch.privacy.models import Erasure, Purpose
from welcomematch.privacy.retention import retention_apply
from welcomematch.privacy.selectors import consent_given
from welcomematch.trial.models import ControlAssignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    world = make_world()
    household = make_household(
        world["almere"],
        contact_name="Amal Haddad",
        contact_phone="0612345678",
        contact_email="amal@example.org",
        support_notes="Slaapt slecht",
    )
    world["household"] = household
    world["match"] = make_match(
        make_group(world["almere"]), household, ambassador=world["ambassador"]
    )
    return world


def _client(world: dict[str, Any], role: Role) -> Client:
    client = Client()
    client.force_login(world["users"][role])
    return client


def test_consent_is_recorded_per_purpose_with_time_and_text_version(world: Any) -> None:
    household = world["household"]
    coordinator = world["users"][Role.COORDINATOR]
    assert not consent_given(subject=household, purpose=Purpose.RESEARCH)
    services.consent_record(
        subject=household,
        purpose=Purpose.RESEARCH,
        given=True,
        text_version="v2",
        actor=coordinator,
    )
    assert consent_given(subject=household, purpose=Purpose.RESEARCH)
    assert not consent_given(subject=household, purpose=Purpose.CONTACT)
    services.consent_record(
        subject=household, purpose=Purpose.RESEARCH, given=False, text_version="v2", actor=None
    )
    assert not consent_given(subject=household, purpose=Purpose.RESEARCH)
    consent = household.consents.order_by("decided_at").first()
    assert consent.text_version == "v2" and consent.decided_at <= timezone.now()
    assert AuditEvent.objects.filter(action="consent.withdrawn", object_id=str(household.pk))
    with pytest.raises(ValidationError) as error:
        services.consent_record(
            subject=household, purpose="marketing", given=True, text_version="v2", actor=None
        )
    assert services.ERR_PURPOSE in error.value.messages
    with pytest.raises(ValidationError):
        services.consent_record(
            subject=household, purpose=Purpose.CONTACT, given=True, text_version=" ", actor=None
        )


def test_an_ambassador_sees_contact_details_only_when_the_household_agreed(world: Any) -> None:
    url = reverse("web:household_detail", args=[world["household"].pk])
    client = _client(world, Role.AMBASSADOR)
    assert "0612345678" not in client.get(url).content.decode()
    response = _client(world, Role.COORDINATOR).post(
        reverse("privacy:household_consent", args=[world["household"].pk]),
        {"purpose": Purpose.CONTACT, "given": "yes", "text_version": "2026-01"},
    )
    assert response.status_code == 302
    html = client.get(url).content.decode()
    assert "0612345678" in html and "amal@example.org" in html
    assert "Slaapt slecht" not in html


def test_a_person_s_data_export_is_machine_readable_and_complete(world: Any) -> None:
    household, match = world["household"], world["match"]
    lifecycle.checkin_record(
        match=match, held_on=timezone.localdate(), actor=None, notes="Gezellig"
    )
    services.consent_record(
        subject=household, purpose=Purpose.MATCHING, given=True, text_version="v1", actor=None
    )
    response = _client(world, Role.COORDINATOR).get(
        reverse("privacy:household_export", args=[household.pk])
    )
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["subject"] == {"type": "household", "reference": household.reference}
    assert document["record"]["contact_name"] == "Amal Haddad"
    assert len(document["people"]) == household.persons.count()
    assert [m["id"] for m in document["matches"]] == [match.pk]
    assert [c["notes"] for c in document["check_ins"]] == ["Gezellig"]
    assert [c["purpose"] for c in document["consents"]] == ["matching"]
    assert "match.checkin" in {e["what"] for e in document["events"]}
    assert AuditEvent.objects.filter(action="record.downloaded", object_id=str(household.pk))
    assert (
        _client(world, Role.AMBASSADOR)
        .get(reverse("privacy:household_export", args=[household.pk]))
        .status_code
        == 403
    )


def test_erasure_removes_identifying_data_and_keeps_research_rounds_and_trial(world: Any) -> None:
    almere = world["almere"]
    group = make_group(almere, name="Trialgroep", contact_email="groep@example.org")
    treatment, control = make_trial(group, [make_household(almere), make_household(almere)])
    round_ = ControlAssignment.objects.get(household=control).round
    round_file = round_selectors.export_round_file(round=round_)
    result_file = round_selectors.export_result_file(round=round_)
    kept = Household.objects.values("reference", "household_type", "vulnerability").get(
        pk=control.pk
    )

    services.household_erase(household=control, reason="Asked for it", actor=None)
    services.group_erase(group=group, reason="Asked for it", actor=None)

    control.refresh_from_db()
    group.refresh_from_db()
    assert (control.contact_name, control.contact_phone, control.postcode) == (
        services.ERASED,
        "",
        "",
    )
    assert control.latitude is None and control.withdrawn_at is not None
    assert (group.name, group.contact_email) == (services.ERASED, "")
    assert set(group.members.values_list("first_name", flat=True)) == {services.ERASED}
    assert (
        Household.objects.values("reference", "household_type", "vulnerability").get(pk=control.pk)
        == kept
    )
    # The trial register and the round are untouched, and the round re-runs to the same result.
    assert ControlAssignment.objects.get(household=control).treatment_household == treatment
    assert round_selectors.export_round_file(round=round_) == round_file
    assert round_selectors.export_result_file(round=round_) == result_file
    rerun = engine.run_round(roundfile.loads_round(round_file))
    assert roundfile.dumps_result(rerun) == result_file
    assert Erasure.objects.filter(reference=control.reference).exists()
    with pytest.raises(ValidationError):
        services.household_erase(household=control, reason="again", actor=None)
    with pytest.raises(ValidationError) as error:
        services.household_erase(household=treatment, reason=" ", actor=None)
    assert services.ERR_REASON in error.value.messages


def test_only_administrators_erase_through_the_page(world: Any) -> None:
    household = world["household"]
    url = reverse("privacy:household_erase", args=[household.pk])
    assert _client(world, Role.COORDINATOR).post(url, {"reason": "x"}).status_code == 403
    admin = _client(world, Role.ADMINISTRATOR)
    assert admin.post(url, {"reason": ""}).status_code == 400
    assert admin.post(url, {"reason": "Verzoek van de persoon"}).status_code == 302
    household.refresh_from_db()
    assert household.contact_name == services.ERASED


def test_retention_apply_erases_and_deletes_what_is_kept_too_long(world: Any, capsys: Any) -> None:
    almere = world["almere"]
    long_ago = timezone.now() - timedelta(days=800)
    left = make_household(almere, contact_name="Vertrokken")
    Household.objects.filter(pk=left.pk).update(withdrawn_at=long_ago)
    recent = make_household(almere, contact_name="Net weg")
    Household.objects.filter(pk=recent.pk).update(withdrawn_at=timezone.now())
    group = make_group(almere, name="Oud")
    with mock.patch("django.utils.timezone.now", return_value=long_ago):
        old_link, _token = invitation_create(group=group, actor=None, days=14)
    fresh_link, _token = invitation_create(group=group, actor=None, days=14)

    assert main(["retention", "apply", "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "households who left or finished: 1 would go" in printed
    assert "unused invitation links: 1 would go" in printed
    left.refresh_from_db()
    assert left.contact_name == "Vertrokken"

    outcomes = {o.rule: o.count for o in retention_apply(dry_run=False)}
    assert outcomes["households who left or finished"] == 1
    left.refresh_from_db()
    recent.refresh_from_db()
    assert left.contact_name == services.ERASED and recent.contact_name == "Net weg"
    assert not GroupInvitation.objects.filter(pk=old_link.pk).exists()
    assert GroupInvitation.objects.filter(pk=fresh_link.pk).exists()
    assert AuditEvent.objects.filter(action="retention.applied").exists()
    # Applying again finds nothing new.
    assert {o.rule: o.count for o in retention_apply(dry_run=True)}[
        "households who left or finished"
    ] == 0


def test_an_open_match_keeps_its_participants(world: Any) -> None:
    Household.objects.filter(pk=world["household"].pk).update(
        withdrawn_at=timezone.now() - timedelta(days=800)
    )
    outcomes = {o.rule: o.count for o in retention_apply(dry_run=True)}
    assert outcomes["households who left or finished"] == 0


def test_erasure_also_clears_the_name_in_import_reports_and_free_text_survey_answers(
    world: Any,
) -> None:
    from welcomematch.intake.models import ImportRun
    from welcomematch.surveys.models import Answer, Instrument, Response

    household = make_household(world["almere"], contact_name="Amal Haddad")
    ImportRun.objects.create(
        programme=household.programme,
        kind="households",
        status=ImportRun.Status.COMMITTED,
        report={
            "rows": [
                {"reference": household.reference, "label": "Amal Haddad", "errors": []},
                {"reference": "H-9999", "label": "Someone Else", "errors": []},
            ]
        },
    )
    instrument = Instrument.objects.filter(moment="final", side="newcomer").first()
    assert instrument is not None
    response = Response.objects.create(
        programme=household.programme,
        moment="final",
        side="newcomer",
        instrument=instrument,
        household=household,
        source="interview",
        started_at=timezone.now(),
        submitted_at=timezone.now(),
    )
    text_code = instrument.items.filter(scale="text").values_list("code", flat=True).first()
    assert text_code is not None, "the final newcomer survey has a free-text item"
    Answer.objects.create(response=response, item_code=text_code, value="Amal from Homs")
    Answer.objects.create(response=response, item_code="dutch_cefr", value="A2")

    services.household_erase(household=household, reason="Asked for it", actor=None)

    rows = ImportRun.objects.get().report["rows"]
    assert [r["label"] for r in rows] == [services.ERASED, "Someone Else"]
    kept = dict(Answer.objects.filter(response=response).values_list("item_code", "value"))
    assert kept == {"dutch_cefr": "A2"}
