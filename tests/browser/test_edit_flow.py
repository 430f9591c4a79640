"""A coordinator edits a household after its intake and withdraws it, in a real Chromium, on a
360 px phone screen and on a desktop: a sixth child is added with the "add a row" button, the
change is shown in words, and the withdrawal with its reason."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import log_in
from tests.browser.test_intake_flows import seed_categories
from tests.factories import PASSWORD, make_city, make_programme, make_user
from tests.intake.answers import group_answers, household_answers
from welcomematch.accounts.models import Role
from welcomematch.intake.models import Household, RecordChange
from welcomematch.intake.services import (
    group_save_answers,
    household_save_answers,
    postcodes_load_bundled_demo,
)
from welcomematch.matching.selectors import households_ready

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def household() -> Household:
    seed_categories()
    programme = make_programme()
    city = make_city(programme, "Almere")
    postcodes_load_bundled_demo()
    make_user(Role.COORDINATOR, username="coordinator", programme=programme)
    persons = [{"relation": "main", "age": 36, "gender": "woman"}] + [
        {"relation": "child", "age": age, "gender": "man"} for age in (3, 5, 8, 10, 13)
    ]
    return household_save_answers(
        programme=programme, city=city, answers=household_answers(persons=persons), actor=None
    )


@pytest.mark.parametrize("width", [360, 1280])
def test_a_coordinator_adds_a_sixth_child_and_withdraws_the_household(
    page: Any, household: Household, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, "coordinator", PASSWORD)
    page.goto(f"/intake/households/{household.pk}/")
    page.click("#edit-link")
    assert page.locator("fieldset.repeat-row").count() == 7  # six persons and a blank row
    # "Add a row" (with JavaScript: a copy of the empty row, no round trip).
    page.click("button.add-row")
    assert page.locator("fieldset.repeat-row").count() == 8
    page.check("input[name='persons-6-relation'][value=child]")
    page.fill("#id_persons-6-age", "1")
    page.check("input[name='persons-6-gender'][value=woman]")
    if width == 360:
        assert page.evaluate("document.documentElement.scrollWidth") <= 362
    page.click("button[name=save]")
    page.wait_for_load_state("networkidle")
    assert household.persons.count() == 7
    history = page.locator("#history").inner_text()
    assert "Persoon toegevoegd: Kind, 1, Vrouw" in history
    assert "Antwoorden gewijzigd" in history

    # Withdraw, with a reason.
    page.fill("#participation textarea[name=reason]", "Verhuisd naar Utrecht")
    page.click("#participation button[type=submit]")
    page.wait_for_load_state("networkidle")
    notice = page.locator("#withdrawn-notice").inner_text()
    assert "Verhuisd naar Utrecht" in notice
    household.refresh_from_db()
    assert household.withdrawn_at is not None
    assert not households_ready(programme=household.programme).filter(pk=household.pk).exists()
    assert household.changes.filter(action=RecordChange.Action.WITHDRAWN).exists()
    if width == 360:
        assert page.evaluate("document.documentElement.scrollWidth") <= 362


def test_without_javascript_a_coordinator_adds_members_to_a_group_on_a_phone(
    browser: Any, live_server: Any, household: Household
) -> None:
    """The "add a row" button posts the form and it comes back with one more blank row."""
    group = group_save_answers(
        programme=household.programme, city=household.city, answers=group_answers(), actor=None
    )
    context = browser.new_context(
        base_url=live_server.url,
        locale="nl-NL",
        java_script_enabled=False,
        viewport={"width": 360, "height": 800},
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, "coordinator", PASSWORD)
        page.goto(f"/intake/groups/{group.pk}/edit/")
        assert page.locator("fieldset.repeat-row").count() == 3  # two members, one blank row
        page.fill("#id_members-2-first_name", "Cor")
        page.fill("#id_members-2-age", "52")
        page.click("button.add-row")
        assert page.locator("fieldset.repeat-row").count() == 4
        assert page.input_value("#id_members-2-first_name") == "Cor"
        page.fill("#id_members-3-first_name", "Dewi")
        page.fill("#id_members-3-age", "29")
        assert page.evaluate("document.documentElement.scrollWidth") <= 362
        page.click("button[name=save]")
        history = page.locator("#history").inner_text()
        assert "Groepslid toegevoegd: Cor (52)" in history
        assert "Groepslid toegevoegd: Dewi (29)" in history
        assert group.members.count() == 4
        assert page.evaluate("document.documentElement.scrollWidth") <= 362
    finally:
        context.close()
