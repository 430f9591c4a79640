"""A coordinator's round, clicked through in Chromium: create, run, confirm, then the match."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.conftest import log_in
from tests.factories import PASSWORD, make_city, make_group, make_household, make_programme
from welcomematch.accounts.models import Role
from welcomematch.accounts.services import user_create
from welcomematch.intake.services import PersonData
from welcomematch.lifecycle.models import CheckIn, Match, MatchStatus
from welcomematch.matching.models import MatchingRound, RoundStatus
from welcomematch.trial.models import ControlAssignment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coordinator_runs_a_round_with_control_arm_and_starts_the_match(page):
    programme = make_programme()
    city = make_city(programme)
    user_create(username="carla", password=PASSWORD, role=Role.COORDINATOR, programme=programme)
    group = make_group(city, willingness=2, experience=2, name="De Buren")
    make_household(city, lat=52.375, lon=5.234, contact_name="Amal")
    make_household(
        city, contact_name="Bashir", persons=[PersonData(relation="main", age=40, gender="man")]
    )
    far = make_household(city, lat=51.9244, lon=4.4777, contact_name="Dawit")

    log_in(page, "carla", PASSWORD)
    page.goto("/rounds/new/")
    assert page.is_checked("#id_control_arm")
    assert page.inner_text("#readiness").count("3") >= 1
    page.fill("#id_name", "Ronde 1 – Almere")
    page.get_by_role("button", name="Ronde aanmaken").click()

    page.wait_for_selector("#round-status:has-text('Concept')")
    page.click("button[name=run]")
    page.wait_for_selector("#round-status:has-text('Voorgesteld')")
    pairs = page.inner_text("#pairs")
    assert group.reference in pairs
    assert "keuze" in pairs or "niet gerangschikt" in pairs
    unmatched = page.inner_text("#unmatched-households")
    assert far.reference in unmatched
    assert "Geen groep die klaar is om te matchen woont binnen de maximale afstand" in unmatched

    page.select_option("#id_group", group.reference)
    page.select_option("#id_household", far.reference)
    page.get_by_role("button", name="Uitleggen").click()
    assert "kunnen niet gematcht worden" in page.inner_text("#why-answer")

    page.get_by_role("link", name="Bevestigen…").click()
    assert "niet meer opnieuw" in page.inner_text("main")
    page.click("button[name=confirm]")
    page.wait_for_selector("#round-status:has-text('Bevestigd')")
    assert page.query_selector("button[name=run]") is None
    rnd = MatchingRound.objects.get()
    assert rnd.status == RoundStatus.CONFIRMED
    assert ControlAssignment.objects.filter(round=rnd).count() == 1

    page.get_by_role("link", name="Naar de matches").click()
    page.get_by_role("link", name="Openen").click()
    # two weeks ahead: a first meeting is planned within the match's first two years
    in_two_weeks = timezone.localdate() + timedelta(days=14)
    page.fill("#plan-form input[name=when]", f"{in_two_weeks:%Y-%m-%d}T19:30")
    page.get_by_role("button", name="Eerste ontmoeting plannen").click()
    page.wait_for_selector("#match-status:has-text('Eerste ontmoeting gepland')")
    assert Match.objects.get().status == MatchStatus.INTRODUCED

    page.select_option("#id_satisfaction", "4")
    page.fill("#id_notes", "Eerste kennismaking ging goed.")
    page.get_by_role("button", name="Belmoment opslaan").click()
    page.wait_for_selector("#checkins:has-text('Eerste kennismaking ging goed.')")
    checkin = CheckIn.objects.get()
    assert (checkin.match, checkin.satisfaction) == (Match.objects.get(), 4)
