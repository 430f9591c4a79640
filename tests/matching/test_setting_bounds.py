"""A round's maximum distance lies in (0, 100] km: a typing mistake such as 1e308 is refused
with a message naming the field, on the form and in the service (rounds and variants)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.factories import make_city, make_group, make_household, make_programme, make_user
from welcomematch.accounts.models import Role
from welcomematch.matching import services
from welcomematch.matching.models import MatchingRound, RoundVariant

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme():
    return make_programme()


@pytest.mark.parametrize("distance", [1e308, 100.5, 0.0, -1.0])
def test_a_round_with_a_maximum_distance_outside_0_to_100_km_is_refused(programme, distance):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.round_create(
            programme=programme, name="R", actor=None, max_distance_km=distance, control_arm=False
        )
    assert list(caught.value.error_dict) == ["max_distance_km"]
    if distance > 0:
        with translation.override("en"):
            assert "at most 100 km" in caught.value.messages[0]
    assert not MatchingRound.objects.exists()


def test_a_round_of_100_km_is_allowed(programme):
    rnd = services.round_create(
        programme=programme, name="R", actor=None, max_distance_km=100, control_arm=False
    )
    assert rnd.max_distance_km == 100


def test_the_round_form_shows_the_distance_message_on_the_field(programme):
    coordinator = make_user(Role.COORDINATOR, programme=programme)
    client = Client()
    client.force_login(coordinator)
    response = client.post(
        reverse("matching:round_create"),
        {"name": "R", "max_distance_km": "1e308", "mechanism": "optimal"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "at most 100 km" in response.context["form"].errors["max_distance_km"][0]
    assert not MatchingRound.objects.exists()


def test_a_variant_with_a_huge_distance_is_refused(programme):
    city = make_city(programme)
    make_group(city)
    make_household(city)
    rnd = services.round_create(programme=programme, name="R", actor=None, control_arm=False)
    rnd = services.round_run(round=rnd, actor=None)
    with pytest.raises(ValidationError) as caught:
        services.round_variant_create(
            round=rnd, actor=None, max_distance_km=1e308, mechanism="optimal", control_arm=False
        )
    assert list(caught.value.error_dict) == ["max_distance_km"]
    assert not RoundVariant.objects.exists()
