"""References of groups and households: numbered, never reused, past four digits too."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import make_group, make_household
from welcomematch.intake.models import Household, WelcomeGroup
from welcomematch.intake.services import next_reference

pytestmark = pytest.mark.django_db


def test_the_reference_after_g_10000_is_g_10001_not_g_10000_again(city: Any) -> None:
    make_group(city, name="Negenduizend")
    make_group(city, name="Tienduizend")
    # Give the two groups the references of groups 9 999 and 10 000 (as strings "G-9999"
    # sorts after "G-10000").
    first, second = WelcomeGroup.objects.order_by("pk")
    WelcomeGroup.objects.filter(pk=first.pk).update(reference="G-9999")
    WelcomeGroup.objects.filter(pk=second.pk).update(reference="G-10000")

    assert next_reference("G", WelcomeGroup) == "G-10001"
    assert make_group(city, name="De volgende").reference == "G-10001"


def test_household_references_are_numbered_past_four_digits(city: Any) -> None:
    household = make_household(city)
    Household.objects.filter(pk=household.pk).update(reference="H-123456")
    assert make_household(city).reference == "H-123457"


def test_references_start_at_one_padded_to_four_digits(city: Any) -> None:
    assert next_reference("G", WelcomeGroup) == "G-0001"
    make_group(city)
    assert next_reference("G", WelcomeGroup) == "G-0002"
