"""Search, filters, sorting and pagination of the participant lists."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.factories import make_group, make_household
from tests.web.helpers import make_match
from welcomematch.accounts.models import Role
from welcomematch.intake.services import PersonData
from welcomematch.lifecycle.models import MatchStatus
from welcomematch.web.views import PAGE_SIZE

FAMILY = [
    PersonData(relation="main", age=40, gender="man"),
    PersonData(relation="partner", age=38, gender="woman"),
    PersonData(relation="child", age=8),
]


@pytest.fixture
def households(world: Any) -> dict[str, Any]:
    almere, haarlem = world["almere"], world["haarlem"]
    return {
        "amal": make_household(almere, contact_name="Amal Haddad", postcode="1315 AB"),
        "yonas": make_household(haarlem, contact_name="Yonas Tesfay", persons=FAMILY),
        "omar": make_household(almere, contact_name="Omar Saleh", completed=False),
    }


def _refs(client: Any, url: str, **params: Any) -> set[str]:
    html = client.get(url, params).content.decode()
    start = html.find('id="household-list"') if "household" in url else html.find('id="group-list"')
    if start < 0:
        return set()
    return {
        part.split("<")[0] for part in html[start:].split('/">')[1:] if part[:2] in ("H-", "G-")
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("haddad", {"amal"}),  # name, any case
        ("H-0002", {"yonas"}),  # reference
        ("1315", {"amal"}),  # postcode digits
        ("1315ab", {"amal"}),  # postcode without the space
        ("", {"amal", "yonas", "omar"}),
        ("niemand", set()),
    ],
)
def test_household_search(client_for: Any, households: Any, query: str, expected: set[str]) -> None:
    refs = _refs(client_for(Role.COORDINATOR), reverse("web:household_list"), q=query)
    assert refs == {households[name].reference for name in expected}


def test_household_filters(client_for: Any, households: Any, world: Any) -> None:
    client, url = client_for(Role.COORDINATOR), reverse("web:household_list")
    assert _refs(client, url, city=world["haarlem"].pk) == {households["yonas"].reference}
    assert _refs(client, url, household_type="family_with_children") == {
        households["yonas"].reference
    }
    assert _refs(client, url, stage="intake_incomplete") == {households["omar"].reference}
    assert _refs(client, url, stage="ready", city=world["almere"].pk) == {
        households["amal"].reference
    }


def test_invalid_filters_are_ignored_not_an_error(client_for: Any, households: Any) -> None:
    response = client_for(Role.COORDINATOR).get(
        reverse("web:household_list"), {"city": "abc", "stage": "nonsense", "page": "x"}
    )
    assert response.status_code == 200
    assert households["amal"].reference in response.content.decode()


def test_household_type_is_shown_with_its_label(client_for: Any, households: Any) -> None:
    html = client_for(Role.COORDINATOR).get(reverse("web:household_list")).content.decode()
    assert "Gezin met kinderen" in html


def test_sorting(client_for: Any, households: Any) -> None:
    client, url = client_for(Role.COORDINATOR), reverse("web:household_list")
    html = client.get(url, {"sort": "-reference"}).content.decode()
    positions = [html.index(h.reference + "<") for h in households.values()]
    assert positions == sorted(positions, reverse=True)
    html = client.get(url, {"sort": "name"}).content.decode()
    amal, omar, yonas = (
        html.index(households[n].reference + "<") for n in ("amal", "omar", "yonas")
    )
    assert amal < omar < yonas


def test_group_search_filters_and_stage(client_for: Any, world: Any) -> None:
    almere, haarlem = world["almere"], world["haarlem"]
    buren = make_group(almere, name="De Buren", group_type="with_children")
    kerk = make_group(haarlem, name="Kerkgroep", group_type="seniors")
    make_match(kerk, make_household(haarlem), status=MatchStatus.ACTIVE)
    client, url = client_for(Role.COORDINATOR), reverse("web:group_list")
    assert _refs(client, url, q="buren") == {buren.reference}
    assert _refs(client, url, group_type="seniors") == {kerk.reference}
    assert _refs(client, url, stage="active") == {kerk.reference}
    assert _refs(client, url, city=almere.pk) == {buren.reference}
    assert "Groep met kinderen" in client.get(url).content.decode()


def test_lists_are_paginated_and_keep_their_filters(client_for: Any, world: Any) -> None:
    for n in range(PAGE_SIZE + 2):
        make_household(world["almere"], contact_name=f"Gezin {n:02d}")
    client, url = client_for(Role.COORDINATOR), reverse("web:household_list")
    first = client.get(url, {"q": "gezin"}).content.decode()
    assert f"{PAGE_SIZE + 2} " in first
    assert "?q=gezin&amp;page=2" in first
    assert len(_refs(client, url, q="gezin")) == PAGE_SIZE
    assert len(_refs(client, url, q="gezin", page=2)) == 2


def test_users_bound_to_a_programme_see_only_its_participants(client_for: Any, world: Any) -> None:
    from tests.factories import make_city, make_programme, make_user

    other = make_programme("Elders", "elders")
    stranger = make_household(make_city(other, "Utrecht"), contact_name="Elders")
    mine = make_household(world["almere"])
    coordinator = make_user(Role.COORDINATOR, "coordinator-samen-hier", world["programme"])
    client = client_for(None)
    client.force_login(coordinator)
    refs = _refs(client, reverse("web:household_list"))
    assert refs == {mine.reference}
    # Another programme's record is not revealed: not found, not forbidden.
    assert client.get(reverse("web:household_detail", args=[stranger.pk])).status_code == 404
    assert "Utrecht" not in client.get(reverse("web:dashboard")).content.decode()


def test_sorting_by_stage_follows_the_programme_not_the_alphabet(
    client_for: Any, households: Any, world: Any
) -> None:
    active = make_household(world["almere"], contact_name="Actief")
    make_match(make_group(world["almere"]), active, status=MatchStatus.ACTIVE)
    html = client_for(Role.COORDINATOR).get(reverse("web:household_list"), {"sort": "stage"})
    html = html.content.decode()
    order = [households["omar"], households["amal"], active]  # incomplete, ready, active
    positions = [html.index(h.reference + "<") for h in order]
    assert positions == sorted(positions)


def test_list_and_record_pages_do_not_query_per_row(
    client_for: Any, world: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(PAGE_SIZE):
        household = make_household(world["almere"], contact_name=f"Gezin {n}")
        make_match(make_group(world["almere"]), household)
    client = client_for(Role.COORDINATOR)
    with django_assert_max_num_queries(12):
        client.get(reverse("web:household_list"))
    with django_assert_max_num_queries(12):
        client.get(reverse("web:group_list"))
    with django_assert_max_num_queries(20):
        client.get(reverse("web:household_detail", args=[household.pk]))
