"""The control arm overview: managers and researchers, read-only, references only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, make_city, make_group, make_household, make_programme
from welcomematch.accounts.models import Role
from welcomematch.accounts.services import user_create
from welcomematch.intake.services import PersonData
from welcomematch.lifecycle.models import Match
from welcomematch.matching import services as matching
from welcomematch.trial.models import ControlAssignment

pytestmark = pytest.mark.django_db

ROLES = (Role.RESEARCHER, Role.AMBASSADOR, Role.COORDINATOR, Role.ADMINISTRATOR)
RESEARCH_PAGES = {
    None: 302,
    Role.RESEARCHER: 200,
    Role.AMBASSADOR: 403,
    Role.COORDINATOR: 200,
    Role.ADMINISTRATOR: 200,
}


@pytest.fixture
def world():
    programme = make_programme()
    city = make_city(programme)
    users = {
        role: user_create(
            username=f"{role.value}-user", password=PASSWORD, role=role, programme=programme
        )
        for role in ROLES
    }
    group = make_group(city, willingness=2, experience=2, name="De Buren")
    make_household(city, contact_name="Amal", contact_phone="0611111111")
    make_household(
        city,
        contact_name="Bashir",
        contact_phone="0622222222",
        persons=[PersonData(relation="main", age=40, gender="man")],
    )
    rnd = matching.round_create(
        programme=programme, name="Ronde 1", actor=users[Role.COORDINATOR], seed=9
    )
    rnd = matching.round_run(round=rnd, actor=users[Role.COORDINATOR])
    matching.round_confirm(round=rnd, actor=users[Role.COORDINATOR])
    return {"users": users, "round": rnd, "group": group}


def get(world, role):
    client = Client()
    if role is not None:
        client.force_login(world["users"][role])
    return client.get(reverse("trial:overview"))


def test_only_managers_and_researchers_may_open_the_control_arm(world):
    for role, expected in RESEARCH_PAGES.items():
        response = get(world, role)
        assert response.status_code == expected, role
        if role is None:
            assert response["Location"].startswith(reverse("login"))


def test_the_coin_is_shown_per_group_with_treatment_and_control(world):
    response = get(world, Role.RESEARCHER)
    (arm,) = response.context["arms"]
    (row,) = arm.rows
    match = Match.objects.get(round=world["round"])
    control = ControlAssignment.objects.get(round=world["round"])
    assert (row.group_reference, row.treatment, row.control) == (
        world["group"].reference,
        match.household.reference,
        control.household.reference,
    )
    assert [(t.key, t.treatment, t.control) for t in response.context["cities"]] == [
        ("Almere", 1, 1)
    ]
    assert sum(t.treatment for _label, t in response.context["types"]) == 1
    assert sum(t.control for t in response.context["levels"]) == 1


def test_researchers_see_references_but_no_names_or_contacts(world):
    html = get(world, Role.RESEARCHER).content.decode()
    for secret in ("Amal", "Bashir", "0611111111", "0622222222", "De Buren"):
        assert secret not in html
    assert world["group"].reference in html


def test_the_overview_offers_no_way_to_change_anything(world):
    html = get(world, Role.COORDINATOR).content.decode()
    assert 'method="post"' not in html.replace('action="/logout/" method="post"', "").replace(
        'action="/i18n/setlang/" method="post"', ""
    )
    client = Client()
    client.force_login(world["users"][Role.COORDINATOR])
    assert client.post(reverse("trial:overview")).status_code == 405


def test_a_researcher_sees_only_their_own_programme(world):
    outsider = user_create(
        username="elsewhere",
        password=PASSWORD,
        role=Role.RESEARCHER,
        programme=make_programme(name="Ander", slug="ander"),
    )
    client = Client()
    client.force_login(outsider)
    assert client.get(reverse("trial:overview")).context["arms"] == []
