"""A postcode outside the chosen city is flagged (not refused): on save and on the record page.
The rule: the postcode's municipality (GeoNames admin2) is another one than the city; without a
municipality, an address far from the city's centre."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.factories import make_city, make_group, make_household
from tests.intake.test_views import COORD, client_for
from welcomematch.intake import selectors
from welcomematch.intake.models import Household


def test_a_den_haag_postcode_for_almere_is_flagged_naming_both(city: Any, postcodes: int) -> None:
    household = make_household(city, postcode="2511 CV")
    with translation.override("en"):
        warning = str(selectors.location_warning(household))
    assert "2511" in warning and "Den Haag" in warning and "Almere" in warning


def test_a_postcode_in_the_city_is_not_flagged_even_far_from_its_centre(
    programme: Any, postcodes: int
) -> None:
    almere = make_city(programme, "Almere")
    rotterdam = make_city(programme, "Rotterdam")
    rotterdam.latitude, rotterdam.longitude = 51.92, 4.48
    rotterdam.save()
    assert selectors.location_warning(make_household(almere, postcode="1311")) == ""
    # Maasvlakte is ~28 km from Rotterdam's centre, but in the municipality of Rotterdam.
    assert selectors.location_warning(make_group(rotterdam, postcode="3198")) == ""


def test_coordinates_without_a_postcode_far_from_the_city_are_flagged(programme: Any) -> None:
    almere = make_city(programme, "Almere")
    almere.latitude, almere.longitude = 52.37, 5.22
    almere.save()
    assert selectors.location_warning(make_household(almere, lat=52.38, lon=5.23)) == ""
    with translation.override("en"):
        warning = str(selectors.location_warning(make_household(almere, lat=51.92, lon=4.48)))
    assert "km from the centre of Almere" in warning


def test_saving_a_household_with_a_postcode_in_another_city_warns_and_the_page_shows_it(
    users: dict[str, Any], city: Any, postcodes: int
) -> None:
    household = make_household(city, postcode="2511 CV", contact_name="Amal")
    client: Client = client_for(users, COORD)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("intake:household_detail", args=[household.pk]))
    html = page.content.decode()
    assert 'id="location-warning"' in html and "Den Haag" in html
    fine = make_household(city, postcode="1311", contact_name="Bashir")
    html = client.get(reverse("intake:household_detail", args=[fine.pk])).content.decode()
    assert 'id="location-warning"' not in html


def _interview(city: Any) -> dict[str, Any]:
    """The household interview of ``test_coordinator_records_a_household_interview``: a
    Den Haag postcode (2511 CV) for a household in ``city``."""
    from welcomematch.core.levels import SSM_DOMAINS

    ranking = ["seniors", "mixed_ages", "young_adults", "middle_aged", "with_children"]
    return {
        "city": city.pk,
        "contact_name": "Amal",
        "postcode": "2511 CV",
        "languages": ["ar"],
        "cefr_dutch": "A1",
        "cefr_english": "none",
        "goals": ["work"],
        **{f"ranking_{i}": code for i, code in enumerate(ranking)},
        **{f"ssm_{d}": "3" for d in SSM_DOMAINS},
        "consent": "on",
        "non_discrimination": "on",
        "persons-TOTAL_FORMS": "4",
        "persons-INITIAL_FORMS": "0",
        "persons-MIN_NUM_FORMS": "1",
        "persons-MAX_NUM_FORMS": "1000",
        "persons-0-relation": "main",
        "persons-0-age": "40",
        "persons-0-gender": "man",
        "persons-1-relation": "partner",
        "persons-1-age": "39",
        "persons-1-gender": "woman",
    }


def test_the_interview_form_saves_and_warns(
    users: dict[str, Any], city: Any, postcodes: int
) -> None:
    client = client_for(users, COORD)
    client.cookies["django_language"] = "en"
    response = client.post(reverse("intake:household_new"), _interview(city), follow=True)
    household = Household.objects.get(contact_name="Amal")
    assert household.city == city  # saved, not refused
    texts = [str(m) for m in response.context["messages"]]
    assert any("Den Haag" in t and "Almere" in t for t in texts), texts
    assert 'id="location-warning"' in response.content.decode()


def test_the_group_record_page_shows_the_warning(
    users: dict[str, Any], city: Any, postcodes: int
) -> None:
    group = make_group(city, postcode="2511 CV")
    client = client_for(users, COORD)
    html = client.get(reverse("intake:group_detail", args=[group.pk])).content.decode()
    assert 'id="location-warning"' in html
