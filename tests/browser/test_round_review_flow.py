"""A coordinator reviews a round in Chromium: runs it and watches it finish without reloading,
compares 5 km with 7 km, adopts the 7 km variant (run again by the worker), forbids a pair,
keeps another, re-solves and confirms."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.browser.conftest import log_in
from tests.browser.test_round_jobs_flow import _one_task_worker
from tests.factories import PASSWORD, make_city, make_group, make_household, make_programme
from welcomematch.accounts.models import Role
from welcomematch.accounts.services import user_create
from welcomematch.lifecycle.models import Match
from welcomematch.matching import services
from welcomematch.matching.models import MatchingRound, RoundStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@override_settings(
    TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
)
def test_coordinator_compares_5_with_7_km_adopts_and_confirms(page):
    programme = make_programme()
    city = make_city(programme)
    coordinator = user_create(
        username="carla", password=PASSWORD, role=Role.COORDINATOR, programme=programme
    )
    make_group(city, lat=52.3700, lon=5.2200, name="Zuid")
    make_household(city, lat=52.3750, lon=5.2340, contact_name="Amal")  # ~1.1 km
    make_household(city, lat=52.3720, lon=5.2300, contact_name="Chaled")  # ~0.7 km
    north = make_group(city, lat=52.4500, lon=5.2200, name="Noord")
    far = make_household(city, lat=52.5050, lon=5.2200, contact_name="Bilal")  # ~6.1 km
    rnd = services.round_create(
        programme=programme,
        name="Ronde 1",
        actor=coordinator,
        max_distance_km=5.0,
        control_arm=False,
        seed=5,
    )

    log_in(page, "carla", PASSWORD)
    page.goto(f"/rounds/{rnd.pk}/")
    page.click("button[name=run]")
    worker = _one_task_worker()
    page.wait_for_selector("#round-status:has-text('Voorgesteld')", timeout=30_000)
    worker.join(timeout=30)

    # What if 7 km? The variant appears next to the round; the round itself stays at 5 km.
    page.fill("#variants input[name=max_distance_km]", "7")
    page.click("button[name=variant]")
    table = page.wait_for_selector("#variant-table")
    assert table is not None
    variant_row = page.locator("#variant-table tr[data-variant]")
    assert north.reference in variant_row.inner_text()
    assert far.reference in variant_row.inner_text()
    assert MatchingRound.objects.get(pk=rnd.pk).max_distance_km == 5.0

    variant_row.locator("button[name=adopt]").click()
    worker = _one_task_worker()
    page.wait_for_selector("#round-status:has-text('Voorgesteld')", timeout=30_000)
    worker.join(timeout=30)
    page.reload()
    assert MatchingRound.objects.get(pk=rnd.pk).max_distance_km == 7.0
    assert page.locator("#pairs tbody tr").count() == 2

    # Forbid the south pair the engine chose, keep the north pair; then re-solve.
    proposed = {
        p.group.name: p.household
        for p in MatchingRound.objects.get(pk=rnd.pk).proposals.select_related("group", "household")
    }
    forbidden = proposed["Zuid"]
    for kind, group_ref, household_ref, reason in (
        ("forbid", "Zuid", forbidden.reference, "Kennen elkaar van het werk"),
        ("lock", "Noord", far.reference, "Al kennisgemaakt"),
    ):
        page.select_option("#adjustments select[name=adjust-kind]", kind)
        group_value = page.locator(
            f"#adjustments select[name=adjust-group] option:has-text('{group_ref}')"
        ).get_attribute("value")
        page.select_option("#adjustments select[name=adjust-group]", group_value)
        page.select_option("#adjustments select[name=adjust-household]", household_ref)
        page.fill("#adjustments input[name=adjust-reason]", reason)
        page.click("button[name=adjust]")
        page.wait_for_selector(f"#adjustment-list li:has-text('{reason}')")
    assert page.query_selector("#round-changes") is not None  # re-solve before confirming
    page.locator("button[name=run]").first.click()
    worker = _one_task_worker()
    worker.join(timeout=30)
    page.reload()
    assert page.query_selector("#round-changes") is None
    pairs = {
        (p.group.name, p.household.reference)
        for p in MatchingRound.objects.get(pk=rnd.pk).proposals.select_related("group", "household")
    }
    assert ("Noord", far.reference) in pairs
    assert ("Zuid", forbidden.reference) not in pairs
    assert len(pairs) == 2

    page.get_by_role("link", name="Bevestigen…").click()
    page.click("button[name=confirm]")
    worker = _one_task_worker()
    page.wait_for_selector("#round-status:has-text('Bevestigd')", timeout=30_000)
    worker.join(timeout=30)
    assert MatchingRound.objects.get(pk=rnd.pk).status == RoundStatus.CONFIRMED
    assert Match.objects.filter(round=rnd).count() == 2
