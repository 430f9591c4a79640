"""The stage of a participant, computed by the database, and the dashboard's counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_group, make_household
from tests.web.helpers import advance, make_match, make_trial
from welcomematch.accounts.models import Role
from welcomematch.intake.models import Household, WelcomeGroup
from welcomematch.lifecycle.models import Match, MatchStatus
from welcomematch.web.selectors import Stage, groups_with_stage, households_with_stage


def _stage_of_household(household: Household) -> str:
    return households_with_stage(Household.objects.filter(pk=household.pk)).get().stage


def _stage_of_group(group: WelcomeGroup) -> str:
    return groups_with_stage(WelcomeGroup.objects.filter(pk=group.pk)).get().stage


def test_incomplete_intake_then_ready(world: Any) -> None:
    city = world["almere"]
    assert _stage_of_household(make_household(city, completed=False)) == Stage.INTAKE_INCOMPLETE
    assert _stage_of_household(make_household(city)) == Stage.READY
    assert _stage_of_group(make_group(city, completed=False)) == Stage.INTAKE_INCOMPLETE
    assert _stage_of_group(make_group(city)) == Stage.READY


@pytest.mark.parametrize(
    ("status", "stage"),
    [
        (MatchStatus.PROPOSED, Stage.MATCHED),
        (MatchStatus.INTRODUCED, Stage.MATCHED),
        (MatchStatus.ACTIVE, Stage.ACTIVE),
        (MatchStatus.ENDED, Stage.READY),  # back in the pool, to be rematched
        (MatchStatus.COMPLETED, Stage.ENDED),  # the programme year is over
    ],
)
def test_match_status_sets_the_stage_of_both_sides(world: Any, status: str, stage: str) -> None:
    group, household = make_group(world["almere"]), make_household(world["almere"])
    make_match(group, household, status=status)
    assert _stage_of_group(group) == stage
    assert _stage_of_household(household) == stage


def test_a_new_match_after_a_breakdown_counts_as_matched(world: Any) -> None:
    group, household = make_group(world["almere"]), make_household(world["almere"])
    make_match(group, household, status=MatchStatus.ENDED)
    make_match(make_group(world["almere"]), household, status=MatchStatus.PROPOSED)
    assert _stage_of_household(household) == Stage.MATCHED


def test_withdrawn_participants_have_ended(world: Any) -> None:
    household = make_household(world["almere"], withdrawn_at=timezone.now())
    assert _stage_of_household(household) == Stage.ENDED


def test_control_households_are_control_whatever_else(world: Any) -> None:
    group = make_group(world["almere"])
    treatment, control = make_trial(
        group, [make_household(world["almere"]), make_household(world["almere"])]
    )
    advance(Match.objects.get(household=treatment), MatchStatus.ACTIVE)
    assert _stage_of_household(control) == Stage.CONTROL
    assert _stage_of_household(treatment) == Stage.ACTIVE


def _cell(html: str, table: str, city: Any, stage: str) -> str:
    """The text of one dashboard cell, found by its data attributes."""
    start = html.index(f'id="{table}"')
    marker = f'data-city="{city.pk if city else ""}" data-stage="{stage}">'
    cell = html.index(marker, start) + len(marker)
    text = html[cell : html.index("</td>", cell)]
    return text.split(">")[1].split("<")[0] if "<a" in text else text


def test_dashboard_counts_per_city_and_stage_with_totals(client_for: Any, world: Any) -> None:
    almere, haarlem = world["almere"], world["haarlem"]
    g1, _ready, g3 = make_group(almere), make_group(almere), make_group(haarlem)
    make_group(haarlem, completed=False)
    h1, h2, h3 = make_household(almere), make_household(almere), make_household(haarlem)
    make_household(haarlem)
    treatment, _control = make_trial(g1, [h1, h2])
    advance(Match.objects.get(household=treatment), MatchStatus.ACTIVE)
    make_match(g3, h3)

    html = client_for(Role.COORDINATOR).get(reverse("web:dashboard")).content.decode()
    assert _cell(html, "groups", almere, "active") == "1"
    assert _cell(html, "groups", almere, "ready") == "1"  # _ready
    assert _cell(html, "groups", haarlem, "matched") == "1"
    assert _cell(html, "groups", haarlem, "intake_incomplete") == "1"
    assert _cell(html, "households", almere, "active") == "1"
    assert _cell(html, "households", almere, "control") == "1"
    assert _cell(html, "households", haarlem, "matched") == "1"
    assert _cell(html, "households", haarlem, "ready") == "1"
    assert _cell(html, "groups", None, "") == "4"
    assert _cell(html, "households", None, "") == "4"
    assert _cell(html, "households", None, "active") == "1"
    assert 'data-city="" data-stage="control"' not in html[: html.index('id="households"')]
    assert f"?city={almere.pk}&amp;stage=active" in html


def test_dashboard_links_open_the_list_filtered_by_that_cell(client_for: Any, world: Any) -> None:
    almere = world["almere"]
    g1, h1 = make_group(almere, name="Actief"), make_household(almere, contact_name="Actief")
    make_match(g1, h1, status=MatchStatus.ACTIVE)
    waiting = make_household(almere, contact_name="Wachtend")
    response = client_for(Role.COORDINATOR).get(
        reverse("web:household_list"), {"city": almere.pk, "stage": "active"}
    )
    html = response.content.decode()
    assert h1.reference in html and waiting.reference not in html


def test_ambassador_dashboard_counts_only_their_matches(client_for: Any, world: Any) -> None:
    almere = world["almere"]
    make_match(make_group(almere), make_household(almere), ambassador=world["ambassador"])
    make_match(make_group(almere), make_household(almere))
    html = client_for(Role.AMBASSADOR).get(reverse("web:dashboard")).content.decode()
    assert _cell(html, "households", almere, "matched") == "1"
    html = client_for(Role.RESEARCHER).get(reverse("web:dashboard")).content.decode()
    assert _cell(html, "households", almere, "matched") == "2"
