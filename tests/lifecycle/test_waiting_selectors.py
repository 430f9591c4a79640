"""Waiting times, programme figures and warnings from the database, on a hand-worked timeline.

Every state is reached through the real services, each at its own moment of a fixed clock
(``at``); the selector turns the rows into the core's timelines.

The timeline (all at noon, Europe/Amsterdam), today = 1 March 2026:

==========  ========  ==========  ==========  =============  ===================================
who         city      intake      matched     first meeting  notes
==========  ========  ==========  ==========  =============  ===================================
group A     Almere    22 Dec      11 Jan      21 Jan         match 1 with household A
household A Almere    1 Jan       11 Jan      21 Jan         check-ins 1 Feb (2), 15 Feb (1); goal
group C     Almere    2 Jan       10 Jan      15 Jan         match 3, ended 1 Feb (time)
household E Almere    2 Jan       10 Jan      15 Jan
household B Almere    5 Jan       –           –              waits 55 days > 42: warning
group B     Haarlem   20 Jan      1 Feb       –              match 2, made 28 days ago: warning
household D Haarlem   25 Jan      1 Feb       –
household C Haarlem   20 Feb      –           –              waits 9 days
==========  ========  ==========  ==========  =============  ===================================
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from tests.factories import make_city, make_group, make_household, make_programme
from welcomematch.core.waiting import Alert, Summary
from welcomematch.lifecycle import selectors
from welcomematch.lifecycle import services as lifecycle

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Europe/Amsterdam")
TODAY = date(2026, 3, 1)


def noon(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, 12, tzinfo=TZ)


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    """Run the real services as if it were ``moment`` (the clock, not the code, is replaced)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


@pytest.fixture
def timeline() -> dict[str, Any]:
    programme = make_programme()
    almere = make_city(programme, "Almere")
    haarlem = make_city(programme, "Haarlem")
    strong = {"willingness": 2, "experience": 2}
    with at(noon(12, 22, 2025)):
        group_a = make_group(almere, name="A", **strong)
    with at(noon(1, 1)):
        household_a = make_household(almere, contact_name="A")
    with at(noon(1, 2)):
        group_c = make_group(almere, name="C", **strong)
        household_e = make_household(almere, contact_name="E")
    with at(noon(1, 5)):
        household_b = make_household(almere, contact_name="B")
    with at(noon(1, 20)):
        group_b = make_group(haarlem, name="B", **strong)
    with at(noon(1, 25)):
        household_d = make_household(haarlem, contact_name="D")
    with at(noon(2, 20)):
        household_c = make_household(haarlem, contact_name="C")

    with at(noon(1, 10)):
        match_3 = lifecycle.match_create(
            group=group_c, household=household_e, reason="hand-worked", actor=None
        )
    with at(noon(1, 11)):
        match_1 = lifecycle.match_create(
            group=group_a, household=household_a, reason="hand-worked", actor=None
        )
    with at(noon(1, 12)):
        lifecycle.match_plan_first_meeting(match=match_3, when=noon(1, 15), actor=None)
        lifecycle.match_plan_first_meeting(match=match_1, when=noon(1, 21), actor=None)
    with at(noon(1, 21)):
        lifecycle.match_start(match=match_1, actor=None)
        lifecycle.goal_add(match=match_1, goal="language", actor=None)
    with at(noon(1, 15)):
        lifecycle.match_start(match=match_3, actor=None)
    with at(noon(2, 1)):
        lifecycle.match_end(
            match=match_3, reason="expectations_time", note="Te weinig tijd.", actor=None
        )
        match_2 = lifecycle.match_create(
            group=group_b, household=household_d, reason="hand-worked", actor=None
        )
        lifecycle.checkin_record(
            match=match_1, held_on=date(2026, 2, 1), satisfaction=2, actor=None
        )
    with at(noon(2, 15)):
        lifecycle.checkin_record(
            match=match_1, held_on=date(2026, 2, 15), satisfaction=1, actor=None
        )
    return {
        "programme": programme,
        "match_1": match_1,
        "match_2": match_2,
        "match_3": match_3,
        "household_b": household_b,
        "household_c": household_c,
    }


def overview(timeline: dict[str, Any]) -> selectors.WaitingOverview:
    with at(noon(3, 1)):
        return selectors.waiting_overview(programme=timeline["programme"], today=TODAY)


def test_participant_timelines_carry_intake_first_match_and_first_meeting_dates(timeline):
    with at(noon(3, 1)):
        people = {
            (p.side, p.city, p.intake_completed): p
            for p in selectors.participant_timelines(programme=timeline["programme"])
        }
    group_a = people["group", "Almere", date(2025, 12, 22)]
    assert (group_a.matched, group_a.first_meeting) == (date(2026, 1, 11), date(2026, 1, 21))
    household_d = people["household", "Haarlem", date(2026, 1, 25)]
    assert (household_d.matched, household_d.first_meeting) == (date(2026, 2, 1), None)
    assert len(people) == 8


def test_a_first_meeting_planned_in_the_future_has_not_taken_place_yet(timeline):
    with at(noon(1, 13)):
        lines = {m.id: m for m in selectors.match_timelines(programme=timeline["programme"])}
    assert lines[str(timeline["match_1"].pk)].first_meeting is None
    assert lines[str(timeline["match_3"].pk)].first_meeting is None
    with at(noon(1, 16)):
        lines = {m.id: m for m in selectors.match_timelines(programme=timeline["programme"])}
    assert lines[str(timeline["match_3"].pk)].first_meeting == date(2026, 1, 15)


def test_waiting_times_per_city_match_the_hand_worked_figures(timeline):
    per_city = {c.city: c for c in overview(timeline).per_city}
    assert per_city["Almere"].to_match == Summary(4, 11.5, 9.0, 20, 1.0)
    assert per_city["Almere"].to_first_meeting == Summary(4, 19.0, 16.5, 30, 1.0)
    # Haarlem: group B 12 days and household D 7 days to their match; nobody met yet.
    assert per_city["Haarlem"].to_match == Summary(2, 9.5, 9.5, 12, 1.0)
    assert per_city["Haarlem"].to_first_meeting == Summary(0, None, None, None, None)
    assert per_city[""].to_match.count == 6


def test_the_longest_waiting_come_first_and_those_who_met_are_not_waiting(timeline):
    waits = [(p.side, p.city, days) for p, days in overview(timeline).longest]
    assert waits == [
        ("household", "Almere", 55),
        ("group", "Haarlem", 40),
        ("household", "Haarlem", 35),
        ("household", "Haarlem", 9),
    ]


def test_programme_figures_joint_plan_share_checkin_coverage_and_breakdowns(timeline):
    figures = overview(timeline).figures
    assert figures.matches == 3
    assert figures.with_plan_share == 0.5  # matches 1 and 3 met; only match 1 has a goal
    assert figures.checkin_coverage == 0.5  # open: match 1 (checked in 14 days ago) and 2
    assert figures.breakdowns == {"expectations_time": 1}


def test_warnings_name_matches_first_then_participants_waiting_beyond_the_target(timeline):
    alerts = overview(timeline).alerts
    assert alerts == [
        Alert("low_ratings", str(timeline["match_1"].pk)),
        Alert("no_first_meeting", str(timeline["match_2"].pk), 28),
        Alert("waiting_beyond_target", f"household {timeline['household_b'].pk}", 55),
    ]


def test_the_programmes_own_targets_change_the_warnings(timeline):
    programme = timeline["programme"]
    programme.target_days = 30
    programme.first_meeting_days = 29
    programme.low_rating = 1
    programme.save()
    rules = [(a.rule, a.days) for a in overview(timeline).alerts]
    assert ("no_first_meeting", 28) not in rules
    assert ("low_ratings", None) not in rules  # the last two ratings are 2 and 1; 2 > 1
    assert ("waiting_beyond_target", 40) in rules and ("waiting_beyond_target", 35) in rules
