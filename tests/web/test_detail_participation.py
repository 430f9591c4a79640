"""The group and household pages say that a participant withdrew (with the reason and a link
to the intake record's history for managers) and warn of an address outside the city, as the
intake pages do."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_group, make_household
from tests.web.helpers import make_match
from welcomematch.accounts.models import Role
from welcomematch.intake.services import group_withdraw, household_withdraw

pytestmark = pytest.mark.django_db


def _page(world: dict[str, Any], role: Role, name: str, pk: int) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world["users"][role])
    return client.get(reverse(f"web:{name}", args=[pk])).content.decode()


def test_a_withdrawn_group_and_household_say_so_with_reason_and_history(world):
    group = group_withdraw(group=make_group(world["almere"]), reason="Moved abroad", actor=None)
    household = household_withdraw(
        household=make_household(world["almere"]), reason="Found a group", actor=None
    )
    for name, record, reason, intake in (
        ("group_detail", group, "Moved abroad", "intake:group_detail"),
        ("household_detail", household, "Found a group", "intake:household_detail"),
    ):
        html = _page(world, Role.COORDINATOR, name, record.pk)
        notice = html.split('id="withdrawn-notice">')[1].split("</p>")[0]
        assert "Withdrawn on" in notice and reason in notice
        assert f"{reverse(intake, args=[record.pk])}#history" in notice


def test_an_address_far_from_the_city_is_flagged_on_the_household_page(world):
    almere = world["almere"]
    almere.latitude, almere.longitude = 52.37, 5.22
    almere.save()
    household = make_household(almere, lat=51.92, lon=4.48)
    html = _page(world, Role.COORDINATOR, "household_detail", household.pk)
    assert 'id="location-warning"' in html and "km from the centre of Almere" in html
    group = make_group(almere, lat=51.92, lon=4.48)
    assert 'id="location-warning"' in _page(world, Role.COORDINATOR, "group_detail", group.pk)
    # Where somebody lives is for managers only: not for the match's ambassador.
    make_match(group, household, ambassador=world["ambassador"])
    for name, record in (("group_detail", group), ("household_detail", household)):
        html = _page(world, Role.AMBASSADOR, name, record.pk)
        assert "<h1>" in html and 'id="location-warning"' not in html
