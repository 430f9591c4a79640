"""A coordinator's year on a phone (360 px): suggested ambassadors for all new matches at
once, and a dashboard with charts that fits the screen."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import log_in
from tests.browser.test_intake_flows import seed_categories
from tests.factories import PASSWORD, make_city, make_group, make_household, make_programme
from welcomematch.accounts.models import Role
from welcomematch.accounts.services import user_create
from welcomematch.lifecycle import services as lifecycle
from welcomematch.lifecycle.models import Match
from welcomematch.matching import services as matching

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def phone(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, locale="nl-NL", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def new_matches() -> dict[str, Any]:
    """A confirmed round's two new matches (Arabic, Tigrinya) and an ambassador for each."""
    seed_categories()
    programme = make_programme()
    almere = make_city(programme, "Almere")
    coordinator = user_create(
        username="carla", password=PASSWORD, role=Role.COORDINATOR, programme=programme
    )
    make_group(almere, name="De Buren", willingness=2, experience=2)
    make_group(almere, name="De Vrienden", willingness=2, experience=2, lat=52.371)
    make_household(almere, contact_name="Amal", languages=["ar"])
    make_household(almere, contact_name="Yonas", languages=["ti"])
    rnd = matching.round_create(
        programme=programme, name="Ronde 1", actor=coordinator, control_arm=False, seed=3
    )
    matching.round_confirm(
        round=matching.round_run(round=rnd, actor=coordinator), actor=coordinator
    )
    for name, language in (("Samira", "ar"), ("Mehret", "ti")):
        lifecycle.ambassador_create(
            programme=programme,
            data=lifecycle.HelperData(name=name, languages=(language,), cities=(almere,)),
            actor=coordinator,
        )
    return {"coordinator": coordinator}


def page_width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def test_at_360px_a_coordinator_assigns_suggested_ambassadors_to_all_new_matches(
    phone: Any, new_matches: dict[str, Any]
) -> None:
    assert Match.objects.filter(ambassador__isnull=True).count() == 2
    log_in(phone, "carla", PASSWORD)
    phone.goto("/matches/ambassadors/")
    assert page_width(phone) <= PHONE["width"]
    phone.click("a[href='/matches/ambassadors/suggest/']")
    phone.wait_for_load_state("networkidle")
    assert page_width(phone) <= PHONE["width"]

    suggestions = phone.locator("li.suggestion")
    assert suggestions.count() == 2
    text = suggestions.all_inner_texts()
    assert any("Samira" in t and "Arabisch" in t and "Almere" in t for t in text)
    assert any("Mehret" in t and "Tigrinya" in t for t in text)
    assert phone.locator("input[name=accept]:checked").count() == 2

    phone.click("#suggest-form button[type=submit]")
    phone.wait_for_load_state("networkidle")
    assert (
        "2 matches hebben nu een cultureel ambassadeur." in phone.locator(".messages").inner_text()
    )
    assert phone.locator("#no-suggestions").is_visible()
    assigned = {
        m.household.contact_name: m.ambassador.name
        for m in Match.objects.select_related("household", "ambassador")
    }
    assert assigned == {"Amal": "Samira", "Yonas": "Mehret"}


def test_at_360px_the_dashboard_with_its_charts_is_not_wider_than_the_screen(
    phone: Any, new_matches: dict[str, Any]
) -> None:
    log_in(phone, "carla", PASSWORD)
    phone.goto("/")
    phone.wait_for_load_state("networkidle")
    for chart in ("#pipeline-chart svg", "#waiting-chart svg", "#attention-chart svg"):
        box = phone.locator(chart).bounding_box()
        assert box is not None and box["width"] <= PHONE["width"]
    assert page_width(phone) <= PHONE["width"]
    phone.goto("/matches/waiting/")
    assert page_width(phone) <= PHONE["width"]
