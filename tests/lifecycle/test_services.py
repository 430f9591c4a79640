"""The year of a match: transitions, endings with reasons, ambassadors, check-ins, goals."""

from __future__ import annotations

import math

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import make_city, make_group, make_household, make_programme, make_user
from welcomematch.accounts.models import AuditEvent, Role
from welcomematch.core.geo import haversine_km
from welcomematch.intake.models import Exclusion
from welcomematch.lifecycle import selectors, services
from welcomematch.lifecycle.models import CulturalAmbassador, Match, MatchStatus
from welcomematch.matching import services as matching
from welcomematch.matching.models import Proposal

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    programme = make_programme()
    city = make_city(programme)
    coordinator = make_user(Role.COORDINATOR, programme=programme)
    group = make_group(city)
    household = make_household(city, languages=["ar", "nl"])
    rnd = matching.round_create(
        programme=programme, name="R", actor=coordinator, control_arm=False, seed=1
    )
    matching.round_run(round=rnd, actor=coordinator)
    matching.round_confirm(round=rnd, actor=coordinator)
    match = Match.objects.get(round=rnd)
    return programme, city, coordinator, group, household, match


def test_a_match_goes_from_proposed_to_introduced_to_active_to_completed(world):
    *_, coordinator, _group, _household, match = world
    services.match_plan_first_meeting(match=match, when=timezone.now(), actor=coordinator)
    services.match_start(match=match, actor=coordinator)
    services.match_complete(match=match, actor=coordinator)
    match.refresh_from_db()
    assert match.status == MatchStatus.COMPLETED
    assert match.first_meeting_at and match.started_at and match.ended_at
    actions = list(
        AuditEvent.objects.filter(object_type="lifecycle.match", object_id=str(match.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["match.proposed", "match.introduced", "match.active", "match.completed"]


def test_transitions_outside_the_table_are_refused(world):
    *_, coordinator, _g, _h, match = world
    with pytest.raises(ValidationError, match="cannot become completed"):
        services.match_complete(match=match, actor=coordinator)
    services.match_end(match=match, reason="moved", note="", actor=coordinator)
    with pytest.raises(ValidationError, match="cannot become active"):
        services.match_start(match=match, actor=coordinator)


def test_ending_a_match_needs_a_listed_reason_and_excludes_the_pair_from_later_rounds(world):
    programme, city, coordinator, group, household, match = world
    with pytest.raises(ValidationError, match="not one"):
        services.match_end(match=match, reason="bored", note="", actor=coordinator)
    services.match_end(
        match=match, reason="family_composition", note="Wanted a family", actor=coordinator
    )
    match.refresh_from_db()
    assert (match.status, match.end_reason) == (MatchStatus.ENDED, "family_composition")
    assert Exclusion.objects.filter(group=group, household=household).exists()

    # Both are ready again, but never with each other: the rematch round pairs them elsewhere.
    other_group = make_group(city, name="Nieuwe groep")
    other_household = make_household(city)
    rematch = matching.round_create(
        programme=programme, name="Rematch", actor=coordinator, control_arm=False
    )
    matching.round_run(round=rematch, actor=coordinator)
    pairs = set(Proposal.objects.filter(round=rematch).values_list("group", "household"))
    assert (group.pk, household.pk) not in pairs
    assert pairs == {(group.pk, other_household.pk), (other_group.pk, household.pk)}


def test_ambassadors_are_suggested_by_shared_language_then_city_then_load(world):
    programme, city, coordinator, _g, _h, match = world
    far = CulturalAmbassador.objects.create(
        programme=programme, name="Far", languages=["ar"], capacity=3
    )
    near = CulturalAmbassador.objects.create(
        programme=programme, name="Near", languages=["ar"], capacity=3
    )
    near.cities.add(city)
    CulturalAmbassador.objects.create(
        programme=programme, name="Tigrinya", languages=["ti"], capacity=3
    )
    # The single-match suggestion is the core's assignment over one match.
    suggested, left_out = selectors.ambassador_suggestions(
        programme=programme, matches=Match.objects.filter(pk=match.pk), today=timezone.localdate()
    )
    assert [s.ambassador.name for s in suggested] == ["Near"] and left_out == []
    assert suggested[0].shared_languages == ("ar",) and suggested[0].same_city
    services.match_assign_ambassador(match=match, ambassador=near, actor=coordinator)
    match.refresh_from_db()
    assert match.ambassador == near
    # Near now carries one match; with a city tie gone (Near stops working here) the lighter
    # load wins: Far.
    near.cities.clear()
    other = make_household(city, languages=["ar"], contact_name="Other")
    second = services.match_create(
        group=make_group(city, name="Tweede", willingness=2, experience=2),
        household=other,
        reason="test",
        actor=None,
    )
    suggested, _left = selectors.ambassador_suggestions(
        programme=programme, matches=Match.objects.filter(pk=second.pk), today=timezone.localdate()
    )
    assert [(s.ambassador, s.load_after) for s in suggested] == [(far, 1)]


def test_an_ambassador_at_capacity_cannot_take_another_match(world):
    programme, _city, coordinator, _g, _h, match = world
    busy = CulturalAmbassador.objects.create(
        programme=programme, name="Busy", languages=["ar"], capacity=1
    )
    other = make_household(make_city(programme, "Haarlem"))
    other_match = Match.objects.create(
        group=make_group(other.city), household=other, status=MatchStatus.ACTIVE, ambassador=busy
    )
    assert other_match.ambassador == busy
    with pytest.raises(ValidationError, match="maximum 1"):
        services.match_assign_ambassador(match=match, ambassador=busy, actor=coordinator)


def test_checkins_and_goals_are_recorded_and_refused_after_the_end(world):
    *_, coordinator, _g, _h, match = world
    checkin = services.checkin_record(
        match=match,
        held_on=timezone.localdate(),
        actor=coordinator,
        satisfaction=4,
        concern=True,
        notes="ok",
    )
    goal = services.goal_add(
        match=match, goal="language", actor=coordinator, description="Wekelijks Nederlands"
    )
    services.goal_set_status(goal=goal, status=goal.Status.ACHIEVED, actor=coordinator)
    assert match.checkins.get() == checkin
    assert match.goals.get().status == "achieved"
    with pytest.raises(ValidationError):
        services.checkin_record(
            match=match, held_on=timezone.localdate(), actor=coordinator, satisfaction=9
        )
    with pytest.raises(ValidationError, match="not one"):
        services.goal_add(match=match, goal="fishing", actor=coordinator)
    services.match_end(match=match, reason="moved", note="", actor=coordinator)
    with pytest.raises(ValidationError, match="has ended"):
        services.checkin_record(match=match, held_on=timezone.localdate(), actor=coordinator)


def test_a_pair_made_outside_a_round_keeps_the_hard_rules_and_is_audited():
    programme = make_programme()
    city = make_city(programme)
    coordinator = make_user(Role.COORDINATOR, programme=programme)
    group = make_group(city, lat=52.37, lon=5.22)
    household = make_household(city, lat=52.38, lon=5.23)
    far = make_household(city, lat=52.9, lon=5.9)
    fragile = make_household(city, support_flags={"trauma": True, "disability": True})

    with pytest.raises(ValidationError, match="outside a matching round"):
        services.match_create(group=group, household=household, reason=" ", actor=coordinator)
    with pytest.raises(ValidationError, match="at most 5 km"):
        services.match_create(group=group, household=far, reason="rematch", actor=coordinator)
    with pytest.raises(ValidationError, match="above the group's capacity"):
        services.match_create(group=group, household=fragile, reason="rematch", actor=coordinator)

    match = services.match_create(
        group=group, household=household, reason="Rematch after a breakdown", actor=coordinator
    )
    assert match.status == MatchStatus.PROPOSED and 1.0 < match.distance_km < 2.0
    event = AuditEvent.objects.get(action="match.proposed", object_id=str(match.pk))
    assert (
        event.data["outside_round"] is True and event.data["reason"] == "Rematch after a breakdown"
    )
    with pytest.raises(ValidationError, match="already has an open match"):
        services.match_create(group=group, household=far, reason="again", actor=coordinator)

    services.match_end(match=match, reason="moved", note="", actor=coordinator)
    with pytest.raises(ValidationError, match="excluded"):
        services.match_create(
            group=group, household=household, reason="once more", actor=coordinator
        )


@pytest.fixture
def pair_on_the_limit():
    """A group and a household whose programme's limit is exactly their distance."""
    programme = make_programme()
    city = make_city(programme)
    group = make_group(city, lat=52.37, lon=5.22)
    household = make_household(city, lat=52.41, lon=5.27)
    programme.max_distance_km = haversine_km(52.37, 5.22, 52.41, 5.27)
    programme.save()
    return programme, group, household


def test_a_pair_made_outside_a_round_may_live_exactly_the_maximum_distance_apart(pair_on_the_limit):
    programme, group, household = pair_on_the_limit
    match = services.match_create(
        group=group, household=household, reason="On the limit", actor=None
    )
    assert match.distance_km == programme.max_distance_km


def test_a_pair_made_outside_a_round_just_beyond_the_maximum_distance_is_refused(
    pair_on_the_limit,
):
    programme, group, household = pair_on_the_limit
    programme.max_distance_km = math.nextafter(programme.max_distance_km, 0.0)
    programme.save()
    with pytest.raises(ValidationError, match="apart"):
        services.match_create(group=group, household=household, reason="x", actor=None)
    assert not Match.objects.exists()
