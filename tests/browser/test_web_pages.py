"""What a coordinator and an ambassador click through, in a real Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import log_in
from tests.factories import make_group, make_household
from tests.web.helpers import PASSWORD, make_match, make_world
from welcomematch.accounts.models import Role
from welcomematch.lifecycle.models import MatchStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTE = "Heeft baat bij rustige ontmoetingen"


@pytest.fixture
def world_with_match() -> dict[str, Any]:
    world = make_world()
    almere = world["almere"]
    household = make_household(
        almere,
        contact_name="Amal Haddad",
        country_of_origin="SY",
        support_flags={"trauma": True},
        support_notes=NOTE,
        languages=["ar"],
    )
    make_household(almere, contact_name="Yonas Tesfay")
    make_household(world["haarlem"], contact_name="Omar Saleh", completed=False)
    make_match(
        make_group(almere), household, status=MatchStatus.ACTIVE, ambassador=world["ambassador"]
    )
    world["household"] = household
    return world


def test_coordinator_reads_the_dashboard_switches_language_and_finds_a_household(
    page: Any, world_with_match: dict[str, Any]
) -> None:
    world = world_with_match
    log_in(page, world["users"][Role.COORDINATOR].username, PASSWORD)

    # The dashboard, in Dutch, with the counts.
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.locator("h1").inner_text() == "Overzicht"
    almere = world["almere"].pk
    households = page.locator("#households")
    assert households.locator(f'td[data-city="{almere}"][data-stage="active"]').inner_text() == "1"
    assert households.locator(f'td[data-city="{almere}"][data-stage="ready"]').inner_text() == "1"
    assert households.locator('tfoot td[data-stage=""]').inner_text() == "3"

    # English and back.
    page.click("button[name=language][value=en]")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Dashboard"
    assert households.locator("caption").inner_text() == "Households"
    page.click("button[name=language][value=nl]")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Overzicht"

    # A dashboard number opens the list filtered by its cell.
    households.locator(f'td[data-city="{almere}"][data-stage="active"] a').click()
    page.wait_for_load_state("networkidle")
    assert "stage=active" in page.url
    assert page.locator("#household-list tbody tr").count() == 1

    # The household list: search, then open the household.
    page.click("nav.main-nav >> text=Huishoudens")
    page.wait_for_load_state("networkidle")
    assert page.locator("#household-list tbody tr").count() == 3
    page.fill("#id_q", "haddad")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state("networkidle")
    rows = page.locator("#household-list tbody tr")
    assert rows.count() == 1
    rows.locator("a").first.click()
    page.wait_for_load_state("networkidle")
    assert world["household"].reference in page.locator("h1").inner_text()
    assert page.locator("#sensitive").is_visible()
    assert NOTE in page.locator("#sensitive").inner_text()


def test_ambassador_sees_their_household_without_sensitive_fields(
    page: Any, world_with_match: dict[str, Any]
) -> None:
    world = world_with_match
    log_in(page, world["users"][Role.AMBASSADOR].username, PASSWORD)
    page.click("nav.main-nav >> text=Huishoudens")
    page.wait_for_load_state("networkidle")
    rows = page.locator("#household-list tbody tr")
    assert rows.count() == 1  # only the household of their own match
    rows.locator("a").first.click()
    page.wait_for_load_state("networkidle")
    assert world["household"].reference in page.locator("h1").inner_text()
    assert page.locator("#sensitive").count() == 0
    body = page.content()
    assert NOTE not in body and "Land van herkomst" not in body
    assert page.locator("select#id_vulnerability").count() == 0


def test_the_pages_fit_a_phone(browser: Any, live_server: Any) -> None:
    world = make_world()
    make_household(world["almere"])
    context = browser.new_context(
        base_url=live_server.url, locale="nl-NL", viewport={"width": 360, "height": 740}
    )
    page = context.new_page()
    try:
        log_in(page, world["users"][Role.COORDINATOR].username, PASSWORD)
        for url in ("/", "/households/", "/groups/"):
            page.goto(url)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, (url, overflow)
    finally:
        context.close()
