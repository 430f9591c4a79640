"""The intake flows a group and a coordinator click through, in a real Chromium."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tests.browser.conftest import log_in
from tests.factories import PASSWORD, make_city, make_programme, make_user
from welcomematch.accounts.models import Role
from welcomematch.core.levels import SSM_DOMAINS
from welcomematch.intake.models import GroupInvitation, Household, WelcomeGroup
from welcomematch.intake.services import (
    group_invite,
    invitation_revoke,
    postcodes_load_bundled_demo,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOUSEHOLD_TYPES = [
    "family_with_children",
    "single_parent",
    "couple",
    "single_woman",
    "single_man",
    "single_other",
]
GROUP_TYPES = ["mixed_ages", "with_children", "young_adults", "middle_aged", "seniors"]


def seed_categories() -> None:
    """Transactional tests flush the tables, the seeded category lists included: seed again."""
    import importlib

    from django.apps import apps

    from welcomematch.programmes.models import Category

    if not Category.objects.exists():
        migration = importlib.import_module("welcomematch.programmes.migrations.0002_categories")
        migration.seed(apps, None)


@pytest.fixture
def setting() -> dict[str, Any]:
    seed_categories()
    programme = make_programme()
    city = make_city(programme, "Almere")
    postcodes_load_bundled_demo()
    return {"programme": programme, "city": city}


def test_a_group_completes_its_intake_through_the_invitation_link_in_dutch(
    page: Any, setting: dict[str, Any]
) -> None:
    group, invitation, token = group_invite(
        programme=setting["programme"], city=setting["city"], name="De Buren", actor=None
    )
    page.goto(f"/intake/welcome/{token}/")
    assert page.locator("html").get_attribute("lang") == "nl"
    assert "ongeveer 10 minuten" in page.content()
    page.click("a.button.primary")

    # Step 1: the group
    assert page.locator("h1").inner_text().startswith("Uw groep")
    assert page.input_value("#id_name") == "De Buren"
    page.fill("#id_contact_email", "buren@example.org")
    page.fill("#id_postcode", "1011 AB")  # not in the loaded table (Amsterdam)
    page.select_option("#id_acquaintance", "neighbours")
    page.check("input[name=languages][value=nl]")
    page.check("input[name=languages][value=ar]")
    page.fill("#id_motivation", "We willen iemand wegwijs maken in Almere.")
    page.click("button[name=next]")
    assert "1011 AB" in page.locator(".has-error .error").inner_text()
    page.fill("#id_postcode", "1315ab")
    page.click("button[name=next]")

    # Progress is saved: the start page now offers to continue.
    invitation.refresh_from_db()
    assert invitation.last_step == "members"
    assert invitation.answers["postcode"] == "1315 AB"

    # Step 2: members
    page.fill("#id_members-0-first_name", "Anna")
    page.fill("#id_members-0-age", "41")
    page.check("input[name=members-0-gender][value=woman]")
    page.fill("#id_members-1-first_name", "Bas")
    page.fill("#id_members-1-age", "38")
    page.click("button[name=next]")

    # Step 3: what the group is looking for
    page.check("input[name=willingness][value='2']")
    page.check("input[name=experience][value='1']")
    for position, code in enumerate(HOUSEHOLD_TYPES):
        page.select_option(f"#id_ranking_{position}", code)
    page.fill("#id_hours_per_month", "12")
    page.check("input[name=contact_kind][value=both]")
    page.fill("#id_availability", "In het weekend")
    page.click("button[name=next]")

    # Step 4: optional, skipped
    assert page.locator("h1 .optional").count() == 1
    page.click("button[name=next]")

    # Step 5: consent and the non-discrimination principles, explicitly
    assert "ongeacht herkomst" in page.content()
    page.check("#id_consent")
    page.check("#id_non_discrimination")
    page.click("button[name=next]")

    # Summary, then send
    assert "Anna" in page.content() and "Gezin met kinderen" in page.content()
    page.click("form button.primary")
    page.wait_for_load_state("networkidle")
    assert "/intake/welcome/thanks/" in page.url

    group.refresh_from_db()
    assert group.intake_completed_at is not None
    assert group.postcode == "1315 AB" and group.latitude is not None
    assert group.capacity == 2
    assert [m.first_name for m in group.members.all()] == ["Anna", "Bas"]
    assert group.ranking == HOUSEHOLD_TYPES

    # The link is closed now.
    response = page.goto(f"/intake/welcome/{token}/")
    assert response.status == 410


def test_a_coordinator_records_a_household_interview_in_english(
    page: Any, setting: dict[str, Any]
) -> None:
    make_user(Role.COORDINATOR, "coordinator", programme=setting["programme"])
    log_in(page, "coordinator", PASSWORD)
    page.goto("/intake/households/new/")
    page.click("button[name=language][value=en]")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Household interview"

    page.select_option("#id_city", str(setting["city"].pk))
    page.fill("#id_contact_name", "Amal Haddad")
    page.fill("#id_postcode", "2511 CV")
    page.fill("#id_persons-0-age", "34")
    page.check("input[name=persons-0-relation][value=main]")
    page.check("input[name=persons-0-gender][value=woman]")
    page.fill("#id_persons-1-age", "6")
    page.check("input[name=persons-1-relation][value=child]")
    page.check("input[name=persons-1-gender][value=man]")
    page.select_option("#id_country_of_origin", "SY")
    page.check("input[name=languages][value=ar]")
    page.select_option("#id_cefr_dutch", "A2")
    page.select_option("#id_cefr_english", "B1")
    page.check("input[name=goals][value=work]")
    for position, code in enumerate(GROUP_TYPES):
        page.select_option(f"#id_ranking_{position}", code)
    for domain in SSM_DOMAINS:
        page.select_option(f"#id_ssm_{domain}", "4")
    page.select_option("#id_ssm_finances", "2")
    assert "1 – acute problems" in page.locator("#id_ssm_housing").inner_text()
    page.check("input[name=support_flags][value=trauma]")
    page.check("#id_consent")
    page.check("#id_non_discrimination")
    page.click("form button.primary")
    page.wait_for_load_state("networkidle")

    household = Household.objects.get(contact_name="Amal Haddad")
    assert f"/intake/households/{household.pk}/" in page.url
    assert page.locator("#household-type").inner_text() == "Single parent"
    assert page.locator("#vulnerability-level").inner_text() == "1"
    assert household.latitude is not None and household.municipality == ""
    assert household.cefr_english == "B1"

    # Override with a written reason
    page.fill("#id_level", "2")
    page.fill("#id_reason", "Recent loss in the family.")
    page.click("form[action$='/vulnerability/'] button")
    household.refresh_from_db()
    assert household.vulnerability_level == 2


@pytest.mark.parametrize("how", ["expired", "revoked"])
def test_an_expired_or_revoked_link_is_refused(
    page: Any, setting: dict[str, Any], how: str
) -> None:
    _group, invitation, token = group_invite(
        programme=setting["programme"], city=setting["city"], name="De Buren", actor=None
    )
    if how == "expired":
        GroupInvitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(hours=1)
        )
    else:
        invitation_revoke(invitation=invitation, actor=None)
    response = page.goto(f"/intake/welcome/{token}/")
    assert response.status == 410
    assert page.locator(".refusal").count() == 1
    assert page.locator("form button[name=next]").count() == 0
    assert not WelcomeGroup.objects.filter(intake_completed_at__isnull=False).exists()
