"""A household's personal page on a phone: the coordinator makes the link on the household's
intake page, the household opens it at 360 px, confirms the first meeting and says how it
goes; the page fits the screen throughout."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.browser.conftest import log_in
from tests.factories import PASSWORD, make_city, make_group, make_household, make_programme
from tests.web.helpers import make_match
from welcomematch.accounts.models import Role
from welcomematch.accounts.services import user_create
from welcomematch.lifecycle.models import CulturalAmbassador, Match, MatchStatus, ParticipantRating

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits(phone) -> None:
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_household_confirms_its_first_meeting_on_a_phone(page, browser):
    programme = make_programme()
    almere = make_city(programme, "Almere")
    user_create(username="carla", password=PASSWORD, role=Role.COORDINATOR, programme=programme)
    group = make_group(almere, name="De Buren van de Lange Muiderweg")
    household = make_household(almere, contact_name="Amal Youssef", cefr_english="B1")
    ambassador = CulturalAmbassador.objects.create(
        programme=programme,
        name="Samira Haddad",
        languages=["ar"],
        phone="06 3333 4444",
        email="samira.haddad.cultureel.ambassadeur@example.org",
    )
    match = make_match(group, household, ambassador=ambassador)

    # The coordinator makes the household's link on its intake page and copies it.
    log_in(page, "carla", PASSWORD)
    page.goto(f"/intake/households/{household.pk}/")
    page.get_by_role("button", name="Link maken").click()
    page.wait_for_load_state("networkidle")
    link = page.input_value("#participant-page-link")
    assert "/participants/p/" in link

    # The household opens it on a phone, in English (its recorded language).
    phone = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="en-GB", is_mobile=True, has_touch=True
    ).new_page()
    phone.goto(link)
    assert "Your match" in phone.inner_text("#your-match")
    assert "De Buren van de Lange Muiderweg" in phone.inner_text("#your-match")
    assert "Samira Haddad" in phone.inner_text("#contacts")
    _fits(phone)

    phone.fill("#id_met_on", timezone.localdate().isoformat())
    phone.get_by_role("button", name="Yes, we have met").click()
    phone.wait_for_load_state("networkidle")
    assert "your first meeting is recorded" in phone.inner_text(".messages")
    assert "You met for the first time" in phone.inner_text("#first-meeting")
    assert Match.objects.get(pk=match.pk).status == MatchStatus.ACTIVE
    _fits(phone)

    # How it is going: 4 out of 5, with a comment.
    phone.locator("#rating-form input[value='4']").check()
    phone.fill("#id_comment", "We cooked together.")
    phone.get_by_role("button", name="Send").click()
    phone.wait_for_load_state("networkidle")
    assert "Thank you for letting us know" in phone.inner_text(".messages")
    assert ParticipantRating.objects.get().rating == 4
    _fits(phone)

    # Switching to Dutch keeps the page on the phone screen.
    phone.get_by_role("button", name="Nederlands").click()
    phone.wait_for_load_state("networkidle")
    assert "Uw koppeling" in phone.inner_text("#your-match")
    _fits(phone)
    phone.context.close()
