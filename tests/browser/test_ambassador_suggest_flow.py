"""A coordinator gives every new match its suggested cultural ambassador at once, in Chromium,
on a 360 px phone screen (through the folded menu) and at desktop width."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import log_in
from tests.browser.test_intake_flows import seed_categories
from tests.factories import PASSWORD, make_city, make_group, make_household, make_programme
from welcomematch.accounts.models import Role
from welcomematch.accounts.services import user_create
from welcomematch.lifecycle import services as lifecycle
from welcomematch.lifecycle.models import Match

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def _world() -> dict[str, Any]:
    """Three new matches that want an ambassador (two Arabic-speaking households in Almere, a
    Tigrinya-speaking one in Haarlem) and two ambassadors who speak those languages."""
    seed_categories()
    programme = make_programme()
    almere, haarlem = make_city(programme, "Almere"), make_city(programme, "Haarlem")
    coordinator = user_create(
        username="carla", password=PASSWORD, role=Role.COORDINATOR, programme=programme
    )
    matches = []
    for i, (city, languages) in enumerate(
        [(almere, ["ar", "nl"]), (almere, ["ar"]), (haarlem, ["ti"])]
    ):
        group = make_group(city, name=f"Groep {i}", willingness=2, experience=2)
        household = make_household(city, languages=languages, contact_name=f"Gezin {i}")
        matches.append(
            lifecycle.match_create(group=group, household=household, reason="test", actor=None)
        )
    samira = lifecycle.ambassador_create(
        programme=programme,
        data=lifecycle.HelperData(name="Samira", languages=("ar",), cities=(almere,), capacity=3),
        actor=coordinator,
    )
    yohannes = lifecycle.ambassador_create(
        programme=programme,
        data=lifecycle.HelperData(
            name="Yohannes", languages=("ti",), cities=(haarlem,), capacity=2
        ),
        actor=coordinator,
    )
    return {"matches": matches, "samira": samira, "yohannes": yohannes}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_coordinator_assigns_the_suggested_ambassadors_to_all_new_matches_at_once(
    browser: Any, live_server: Any, viewport: dict[str, int]
) -> None:
    world = _world()
    context = browser.new_context(base_url=live_server.url, locale="nl-NL", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, "carla", PASSWORD)
        if viewport is PHONE:
            # The menu is folded on a phone; it opens on a tap.
            assert not page.locator("nav.main-nav").is_visible()
            page.get_by_role("button", name="Menu").click()
            assert page.locator(".nav-toggle").get_attribute("aria-expanded") == "true"
        page.locator("nav.main-nav").get_by_role("link", name="Ambassadeurs").click()
        page.wait_for_load_state("networkidle")
        page.get_by_role("link", name="Ambassadeurs voorstellen voor 3 matches").click()
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").inner_text() == "Voorgestelde ambassadeurs"
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

        # Every new match is ticked, with the ambassador who speaks the household's language.
        rows = page.locator("li.suggestion")
        assert rows.count() == 3
        expected = {}
        for match in world["matches"]:
            row = page.locator(f'li.suggestion[data-match="{match.pk}"]')
            assert row.locator("input[name=accept]").is_checked()
            want = world["yohannes"] if "ti" in match.household.languages else world["samira"]
            assert row.locator("select").input_value() == str(want.pk)
            expected[match.pk] = want.pk

        page.get_by_role("button", name="Aangevinkte voorstellen opslaan").click()
        page.wait_for_load_state("networkidle")
        assert "3 matches hebben nu een cultureel ambassadeur" in page.inner_text(".messages")
        assert page.locator("#no-suggestions").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    finally:
        context.close()
    saved = dict(Match.objects.filter(pk__in=expected).values_list("pk", "ambassador_id"))
    assert saved == expected
