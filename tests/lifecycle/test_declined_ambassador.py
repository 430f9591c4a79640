"""A household that declined a cultural ambassador is offered no picker and is told why."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, make_city, make_group, make_household, make_programme
from welcomematch.accounts.models import Role
from welcomematch.accounts.services import user_create
from welcomematch.lifecycle import services
from welcomematch.lifecycle.models import CulturalAmbassador, Match

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_household_that_declined_an_ambassador_is_offered_no_picker_and_is_told_why():
    programme = make_programme("Declined", "declined")
    city = make_city(programme)
    coordinator = user_create(
        username="coord2", password=PASSWORD, role=Role.COORDINATOR, programme=programme
    )
    household = make_household(city, languages=["ar"], wants_ambassador=False)
    match = services.match_create(
        group=make_group(city), household=household, reason="test", actor=coordinator
    )
    samira = CulturalAmbassador.objects.create(
        programme=programme, name="Samira", languages=["ar", "nl"]
    )
    client = client_for(coordinator)
    page = client.get(
        reverse("lifecycle:match_detail", args=[match.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert reverse("lifecycle:match_ambassador", args=[match.pk]) not in page
    assert 'id="declined-ambassador"' in page
    assert "does not want a cultural ambassador" in page
    assert 'id="suggestion"' not in page
    with pytest.raises(ValidationError, match="does not want a cultural ambassador"):
        services.match_assign_ambassador(match=match, ambassador=samira, actor=coordinator)
    response = client.post(
        reverse("lifecycle:match_ambassador", args=[match.pk]), {"ambassador": samira.pk}
    )
    assert response.status_code == 400
    assert Match.objects.get(pk=match.pk).ambassador is None
