"""The override wins: one rule for a record and for the database."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import make_group, make_household
from welcomematch.intake.models import Household, WelcomeGroup
from welcomematch.intake.services import group_override_capacity, household_override_vulnerability

pytestmark = pytest.mark.django_db


def test_the_override_wins_over_the_derived_level_on_the_record_and_in_the_database(
    city: Any,
) -> None:
    plain = make_household(city)
    overridden = make_household(city, support_flags={"trauma": True, "disability": True})
    household_override_vulnerability(
        household=overridden, level=0, reason="Support arranged", actor=None
    )
    assert overridden.vulnerability > 0
    in_db = dict(
        Household.objects.annotate(level=Household.vulnerability_level.expression()).values_list(
            "pk", "level"
        )
    )
    for household in Household.objects.all():
        expected = (
            household.vulnerability_override
            if household.vulnerability_override is not None
            else household.vulnerability
        )
        assert household.vulnerability_level == in_db[household.pk] == expected
    assert in_db[overridden.pk] == 0 and in_db[plain.pk] == plain.vulnerability


def test_a_capacity_override_wins_on_the_record_and_in_the_database(city: Any) -> None:
    group = make_group(city, willingness=0, experience=0)
    group_override_capacity(group=group, level=2, reason="Care workers joined", actor=None)
    in_db = WelcomeGroup.objects.annotate(level=WelcomeGroup.capacity_level.expression()).get()
    assert group.capacity == 0
    assert group.capacity_level == in_db.level == 2
    group_override_capacity(group=group, level=None, reason="", actor=None)
    in_db = WelcomeGroup.objects.annotate(level=WelcomeGroup.capacity_level.expression()).get()
    assert group.capacity_level == in_db.level == 0
