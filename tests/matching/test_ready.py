"""Ready to match: one definition for the round's pool, the dashboard and the new-round page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_city, make_group, make_household, make_programme, make_user
from tests.web.helpers import make_match, make_trial
from welcomematch.accounts.models import Role
from welcomematch.intake.models import Household, WelcomeGroup
from welcomematch.lifecycle.models import MatchStatus
from welcomematch.matching import selectors, services
from welcomematch.web.selectors import Stage, groups_with_stage, households_with_stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def city():
    return make_city(make_programme())


def _ready(city) -> tuple[set[WelcomeGroup], set[Household]]:
    programme = city.programme
    return (
        set(selectors.groups_ready(programme=programme)),
        set(selectors.households_ready(programme=programme)),
    )


def _dashboard_ready(city) -> tuple[set[WelcomeGroup], set[Household]]:
    return (
        set(groups_with_stage().filter(stage=Stage.READY)),
        set(households_with_stage().filter(stage=Stage.READY)),
    )


def test_a_completed_located_intake_without_a_match_is_ready(city):
    group, household = make_group(city), make_household(city)
    assert _ready(city) == _dashboard_ready(city) == ({group}, {household})


def test_a_participant_whose_match_ended_early_is_ready_again_everywhere(city):
    group, household = make_group(city), make_household(city)
    make_match(group, household, status=MatchStatus.ENDED)
    assert _ready(city) == _dashboard_ready(city) == ({group}, {household})


def test_a_participant_whose_year_completed_is_not_ready(city):
    group, household = make_group(city), make_household(city)
    make_match(group, household, status=MatchStatus.COMPLETED)
    assert _ready(city) == _dashboard_ready(city) == (set(), set())


@pytest.mark.parametrize("status", [MatchStatus.PROPOSED, MatchStatus.INTRODUCED, "active"])
def test_a_participant_with_an_open_match_is_not_ready(city, status):
    make_match(make_group(city), make_household(city), status=status)
    assert _ready(city) == _dashboard_ready(city) == (set(), set())


def test_an_incomplete_withdrawn_or_unlocated_participant_is_not_ready(city):
    make_group(city, completed=False)
    make_household(city, withdrawn_at=timezone.now())
    unlocated = make_group(city, name="Zonder adres", lat=None, lon=None)
    assert unlocated.latitude is None and unlocated.intake_completed_at is not None
    assert _ready(city) == _dashboard_ready(city) == (set(), set())


def test_a_household_drawn_as_control_is_never_ready_again(city):
    group = make_group(city)
    _treatment, control = make_trial(group, [make_household(city), make_household(city)])
    assert control not in _ready(city)[1]
    assert control not in _dashboard_ready(city)[1]


def test_dashboard_and_new_round_page_count_the_same_ready_participants(city):
    programme = city.programme
    other = make_city(programme, "Haarlem")
    ended_group, ended_household = make_group(city), make_household(city)
    make_match(ended_group, ended_household, status=MatchStatus.ENDED)
    make_match(make_group(city), make_household(city), status=MatchStatus.COMPLETED)
    make_match(make_group(other), make_household(other), status=MatchStatus.ACTIVE)
    make_group(other, name="Zonder adres", lat=None, lon=None)
    make_household(other, withdrawn_at=timezone.now())
    make_household(other)
    make_trial(make_group(other), [make_household(other), make_household(other)])

    client = Client()
    client.force_login(make_user(Role.COORDINATOR, programme=programme))
    dashboard = client.get(reverse("web:dashboard")).context
    new_round = client.get(reverse("matching:round_create")).context

    def dashboard_ready(table, city_or_none):
        row = next(
            r
            for r in [*table.rows, table.totals]
            if r.city_id == (city_or_none.pk if city_or_none else None)
        )
        return next(c.count for c in row.cells if c.stage == Stage.READY)

    for row in new_round["readiness"]:
        assert row["groups"] == dashboard_ready(dashboard["group_table"], row["city"])
        assert row["households"] == dashboard_ready(dashboard["household_table"], row["city"])
    totals = new_round["readiness"][-1]
    assert (totals["groups"], totals["households"]) == (1, 2)
    assert totals["groups"] == len(
        services.build_core_round(
            round=services.round_create(programme=programme, name="R", actor=None)
        ).groups
    )
