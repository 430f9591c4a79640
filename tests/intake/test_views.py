"""Intake pages: who may open each URL, and the flows through the real forms."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD, make_household
from tests.intake.answers import group_answers
from welcomematch.intake.models import GroupInvitation, Household
from welcomematch.intake.services import group_invite, group_save_answers

pytestmark = pytest.mark.django_db

ANON, AMB, RES, COORD, ADMIN = (
    "anonymous",
    "ambassador",
    "researcher",
    "coordinator",
    "administrator",
)


def client_for(users: dict[str, Any], who: str) -> Client:
    client = Client()
    if who != ANON:
        assert client.login(username=users[who].username, password=PASSWORD)
    return client


@pytest.fixture
def records(programme: Any, city: Any, postcodes: int) -> dict[str, Any]:
    group = group_save_answers(programme=programme, city=city, answers=group_answers(), actor=None)
    household = make_household(city)
    return {"group": group, "household": household}


STAFF_PAGES = [
    ("intake:index", ()),
    ("intake:group_new", ()),
    ("intake:group_detail", ("group",)),
    ("intake:household_new", ()),
    ("intake:household_detail", ("household",)),
    ("intake:rules", ()),
    ("intake:import", ()),
    ("intake:xlsform", ("groups",)),
]


@pytest.mark.parametrize(("name", "args"), STAFF_PAGES)
@pytest.mark.parametrize(
    ("who", "status"), [(ANON, 302), (AMB, 403), (RES, 403), (COORD, 200), (ADMIN, 200)]
)
def test_who_may_open_the_intake_pages(
    users: dict[str, Any],
    records: dict[str, Any],
    name: str,
    args: tuple[str, ...],
    who: str,
    status: int,
) -> None:
    url = reverse(name, args=[records[a].pk if a in records else a for a in args])
    response = client_for(users, who).get(url)
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))


POST_ACTIONS = [
    ("intake:invitation_new", "group"),
    ("intake:group_override", "group"),
    ("intake:household_override", "household"),
]


@pytest.mark.parametrize(("name", "arg"), POST_ACTIONS)
@pytest.mark.parametrize(("who", "status"), [(ANON, 302), (AMB, 403), (RES, 403), (COORD, 302)])
def test_who_may_post_intake_actions(
    users: dict[str, Any], records: dict[str, Any], name: str, arg: str, who: str, status: int
) -> None:
    response = client_for(users, who).post(
        reverse(name, args=[records[arg].pk]), {"level": "", "reason": ""}
    )
    assert response.status_code == status
    if who == COORD:
        assert reverse("login") not in response["Location"]


def test_only_administrators_change_the_rules(users: dict[str, Any], programme: Any) -> None:
    data = {
        "vulnerability_rule": '{"thresholds": [1, 2, 3]}',
        "capacity_rule": '{"table": [[0,0,0],[1,1,1],[1,1,1]]}',
    }
    assert client_for(users, COORD).post(reverse("intake:rules"), data).status_code == 403
    assert client_for(users, ADMIN).post(reverse("intake:rules"), data).status_code == 302
    programme.refresh_from_db()
    assert programme.vulnerability_rule["thresholds"] == [1, 2, 3]


def test_the_invitation_link_needs_no_login_and_refuses_when_closed(
    programme: Any, city: Any
) -> None:
    _group, invitation, token = group_invite(
        programme=programme, city=city, name="De Buren", actor=None
    )
    client = Client()
    assert client.get(reverse("intake:welcome", args=[token])).status_code == 200
    assert client.get(reverse("intake:welcome_step", args=[token, "group"])).status_code == 200
    unknown = client.get(reverse("intake:welcome", args=["not-a-token"]))
    assert unknown.status_code == 404
    assert b"does not exist" in unknown.content or b"bestaat niet" in unknown.content
    GroupInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    assert client.get(reverse("intake:welcome_step", args=[token, "group"])).status_code == 410
    GroupInvitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() + timedelta(days=1), revoked_at=timezone.now()
    )
    assert client.get(reverse("intake:welcome_summary", args=[token])).status_code == 410


def test_coordinator_invites_a_group_and_sees_the_link_once(
    users: dict[str, Any], city: Any
) -> None:
    client = client_for(users, COORD)
    response = client.post(
        reverse("intake:group_new"), {"name": "De Buren", "city": city.pk, "days": 14}, follow=True
    )
    link = response.context["invitations"][0]["link"]
    assert "/intake/welcome/" in link
    again = client.get(response.request["PATH_INFO"])
    assert again.context["invitations"][0]["link"] == ""


def test_unknown_postcode_shows_an_error_on_the_group_form(
    programme: Any, city: Any, postcodes: int
) -> None:
    _group, _invitation, token = group_invite(
        programme=programme, city=city, name="De Buren", actor=None
    )
    response = Client().post(
        reverse("intake:welcome_step", args=[token, "group"]),
        {
            "name": "De Buren",
            "contact_email": "a@example.org",
            "postcode": "1011 AB",
            "acquaintance": "friends",
            "languages": ["nl"],
            "motivation": "Omdat het kan.",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["postcode"]


def test_without_a_postcode_table_the_form_says_how_to_load_one(programme: Any, city: Any) -> None:
    _group, _invitation, token = group_invite(
        programme=programme, city=city, name="De Buren", actor=None
    )
    response = Client().get(reverse("intake:welcome_step", args=[token, "group"]))
    assert b"welcomematch postcodes load" in response.content


def test_coordinator_records_a_household_interview(
    users: dict[str, Any], city: Any, postcodes: int
) -> None:
    from welcomematch.core.levels import SSM_DOMAINS

    data: dict[str, Any] = {
        "city": city.pk,
        "contact_name": "Amal",
        "postcode": "2511 CV",
        "languages": ["ar"],
        "cefr_dutch": "A1",
        "cefr_english": "none",
        "goals": ["work"],
        **{
            f"ranking_{i}": code
            for i, code in enumerate(
                ["seniors", "mixed_ages", "young_adults", "middle_aged", "with_children"]
            )
        },
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
    response = client_for(users, COORD).post(reverse("intake:household_new"), data)
    assert response.status_code == 302, response.context["form"].errors
    household = Household.objects.get(contact_name="Amal")
    assert household.household_type == "couple"
    assert household.ranking[0] == "seniors"
    assert household.vulnerability == 2  # 13 domains × 1 point = 13 ≥ 9
    assert household.interviewer == users[COORD]


def test_the_group_form_never_shows_household_data(
    programme: Any, city: Any, postcodes: int
) -> None:
    make_household(city, contact_name="Geheime Naam", support_notes="trauma details")
    _group, _invitation, token = group_invite(
        programme=programme, city=city, name="De Buren", actor=None
    )
    client = Client()
    pages = [
        reverse("intake:welcome", args=[token]),
        reverse("intake:welcome_summary", args=[token]),
    ]
    pages += [
        reverse("intake:welcome_step", args=[token, s])
        for s in ("group", "members", "matching", "about", "agreement")
    ]
    for url in pages:
        content = client.get(url).content.decode()
        assert "Geheime Naam" not in content and "trauma details" not in content


def test_a_coordinator_cannot_open_another_programmes_records(records: dict[str, Any]) -> None:
    from tests.factories import make_programme, make_user
    from welcomematch.accounts.models import Role

    other = make_programme(name="Elders", slug="elders")
    outsider = make_user(Role.COORDINATOR, username="outsider", programme=other)
    client = Client()
    client.force_login(outsider)
    for name, key in (("intake:group_detail", "group"), ("intake:household_detail", "household")):
        assert client.get(reverse(name, args=[records[key].pk])).status_code == 404
    response = client.post(
        reverse("intake:household_override", args=[records["household"].pk]),
        {"level": "3", "reason": "not mine"},
    )
    assert response.status_code == 404
    records["household"].refresh_from_db()
    assert records["household"].vulnerability_override is None
