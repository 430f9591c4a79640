"""An ambassador's real browser session never shows a household's contact details or the
sensitive section: not on the household page, not on the match page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import log_in
from tests.factories import make_group, make_household
from tests.web.helpers import PASSWORD, make_match, make_world
from welcomematch.accounts.models import Role
from welcomematch.lifecycle.models import MatchStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE, EMAIL, NOTE = "06 9876 5432", "amal.haddad@example.org", "Slaapt slecht sinds de vlucht"


@pytest.fixture
def world() -> dict[str, Any]:
    world = make_world()
    household = make_household(
        world["almere"],
        contact_name="Amal Haddad",
        contact_phone=PHONE,
        contact_email=EMAIL,
        country_of_origin="SY",
        support_flags={"trauma": True},
        support_notes=NOTE,
        languages=["ar"],
    )
    world["match"] = make_match(
        make_group(world["almere"]),
        household,
        status=MatchStatus.ACTIVE,
        ambassador=world["ambassador"],
    )
    world["household"] = household
    return world


def test_ambassador_session_cannot_see_contact_details_or_the_sensitive_section(
    page: Any, world: dict[str, Any]
) -> None:
    log_in(page, world["users"][Role.AMBASSADOR].username, PASSWORD)
    household = world["household"]

    page.goto(f"/households/{household.pk}/")
    assert "Amal Haddad" in page.locator("h1").inner_text()
    body = page.locator("body").inner_text()
    for secret in (PHONE, EMAIL, NOTE):
        assert secret not in body
    assert page.locator("#sensitive").count() == 0
    assert page.locator('[data-field="contact_phone"], [data-field="contact_email"]').count() == 0

    page.goto(f"/matches/{world['match'].pk}/")
    body = page.locator("body").inner_text()
    assert "Amal Haddad" in body
    for secret in (PHONE, EMAIL, NOTE):
        assert secret not in body
    # No link to the coordinator's intake record of the household.
    assert page.locator(f'a[href="/intake/households/{household.pk}/"]').count() == 0
    response = page.goto(f"/intake/households/{household.pk}/")
    assert response is not None and response.status == 403


def test_coordinator_session_sees_them(page: Any, world: dict[str, Any]) -> None:
    """The same page shows them to the coordinator, so the test above can fail."""
    log_in(page, world["users"][Role.COORDINATOR].username, PASSWORD)
    page.goto(f"/households/{world['household'].pk}/")
    body = page.locator("body").inner_text()
    assert PHONE in body and EMAIL in body and NOTE in body
    assert page.locator("#sensitive").count() == 1
