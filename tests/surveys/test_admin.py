"""Changing an instrument in the admin makes a new version; the old one stays as answered."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, make_programme
from welcomematch.accounts.models import Role
from welcomematch.accounts.services import user_create
from welcomematch.surveys.models import Instrument

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    programme = make_programme()
    user = user_create(
        username="ada",
        password=PASSWORD,
        role=Role.ADMINISTRATOR,
        programme=programme,
        is_superuser=True,
    )
    client = Client()
    client.force_login(user)
    return client


def _post_data(instrument, *, change=None, add=None):
    items = list(instrument.items.order_by("position"))
    data = {
        "note": "wording",
        "items-TOTAL_FORMS": str(len(items) + (1 if add else 0)),
        "items-INITIAL_FORMS": str(len(items)),
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
    }
    import json

    for n, item in enumerate(items):
        text = dict(item.text)
        if change and item.code == change[0]:
            text["en"] = change[1]
        data.update(
            {
                f"items-{n}-id": str(item.pk),
                f"items-{n}-instrument": str(instrument.pk),
                f"items-{n}-position": str(item.position),
                f"items-{n}-code": item.code,
                f"items-{n}-scale": item.scale,
                f"items-{n}-text": json.dumps(text),
                f"items-{n}-required": "on" if item.required else "",
                f"items-{n}-concerns_match": "on" if item.concerns_match else "",
            }
        )
        data = {k: v for k, v in data.items() if v != ""}
    if add:
        n = len(items)
        data.update(
            {
                f"items-{n}-position": "99",
                f"items-{n}-code": add[0],
                f"items-{n}-scale": add[1],
                f"items-{n}-text": json.dumps(add[2]),
                f"items-{n}-required": "on",
            }
        )
    return data


def test_editing_wording_in_the_admin_saves_a_new_version(admin_client):
    v1 = Instrument.objects.get(moment="midterm", side="newcomer")
    url = reverse("admin:surveys_instrument_change", args=[v1.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url,
        _post_data(
            v1,
            change=("trust_match", "I trust the people of my Welcome Group."),
            add=(
                "feel_at_home",
                "likert5",
                {"nl": "Ik voel mij hier thuis.", "en": "I feel at home."},
            ),
        ),
    )
    assert response.status_code == 302, (
        response.context["adminform"].form.errors if response.context else ""
    )
    v1.refresh_from_db()
    v2 = Instrument.objects.get(moment="midterm", side="newcomer", is_current=True)
    assert (v1.version, v1.is_current, v2.version) == (1, False, 2)
    assert v1.items.get(code="trust_match").text["en"] == "I trust my match."
    assert v2.items.get(code="trust_match").text["en"] == "I trust the people of my Welcome Group."
    assert v2.items.filter(code="feel_at_home").exists()
    assert v2.items.count() == v1.items.count() + 1


def test_an_item_without_dutch_wording_is_refused_in_the_admin(admin_client):
    v1 = Instrument.objects.get(moment="midterm", side="newcomer")
    url = reverse("admin:surveys_instrument_change", args=[v1.pk])
    response = admin_client.post(
        url, _post_data(v1, add=("feel_at_home", "likert5", {"en": "I feel at home."}))
    )
    assert response.status_code == 200
    assert "nl" in str(response.context["inline_admin_formsets"][0].formset.non_form_errors())
    assert Instrument.objects.filter(moment="midterm", side="newcomer").count() == 1
