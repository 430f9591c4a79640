"""Waiting times, programme figures and warnings on a hand-worked timeline."""

from __future__ import annotations

from datetime import date

import pytest

from welcomematch.core.errors import InvalidInput
from welcomematch.core.waiting import (
    Alert,
    MatchTimeline,
    ParticipantTimeline,
    Thresholds,
    programme_figures,
    summarise,
    to_first_meeting,
    waiting_list,
    warnings,
)

TODAY = date(2026, 6, 30)

# Households of a small programme (days counted by hand):
#   h1 Almere:  intake 1 Mar, matched 20 Mar, first meeting 5 Apr  -> 35 days to first meeting
#   h2 Almere:  intake 1 Mar, matched 1 Apr, first meeting 1 May    -> 61 days
#   h3 Haarlem: intake 10 Mar, matched 10 Apr, first meeting 20 Apr -> 41 days
#   h4 Haarlem: intake 1 May, not matched                           -> waiting 60 days on 30 Jun
#   h5 Haarlem: intake 10 Jun                                       -> waiting 20 days
#   h6 Almere:  intake 1 Jan, withdrawn 1 Feb                        -> waits no longer
#   h7:         no intake yet                                        -> not waiting
PARTICIPANTS = (
    ParticipantTimeline(
        "h1", "household", "Almere", date(2026, 3, 1), date(2026, 3, 20), date(2026, 4, 5)
    ),
    ParticipantTimeline(
        "h2", "household", "Almere", date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)
    ),
    ParticipantTimeline(
        "h3", "household", "Haarlem", date(2026, 3, 10), date(2026, 4, 10), date(2026, 4, 20)
    ),
    ParticipantTimeline("h4", "household", "Haarlem", date(2026, 5, 1)),
    ParticipantTimeline("h5", "household", "Haarlem", date(2026, 6, 10)),
    ParticipantTimeline("h6", "household", "Almere", date(2026, 1, 1), withdrawn=date(2026, 2, 1)),
    ParticipantTimeline("h7", "household", "Almere", None),
)


def test_days_to_first_meeting_per_city_and_their_summary():
    per_city = to_first_meeting(PARTICIPANTS)
    assert per_city == {"Almere": [35, 61], "Haarlem": [41]}
    almere = summarise(per_city["Almere"], target=42)
    assert (almere.count, almere.mean, almere.median, almere.maximum) == (2, 48.0, 48.0, 61)
    assert almere.within_target == 0.5
    everyone = summarise([35, 61, 41], target=42)
    assert everyone.median == 41.0 and everyone.within_target == pytest.approx(2 / 3)
    assert summarise([], target=42).mean is None


def test_the_longest_waiting_come_first_and_withdrawn_or_met_do_not_wait():
    listed = [(p.id, days) for p, days in waiting_list(PARTICIPANTS, today=TODAY)]
    assert listed == [("h4", 60), ("h5", 20)]


# Matches on 30 June 2026:
#   m1: made 1 Jun, no first meeting          -> 29 days >= 21: no_first_meeting
#   m2: made 20 Jun, no first meeting         -> 10 days: fine
#   m3: first meeting 5 Apr, check-ins 1 and 20 Apr -> last 20 Apr, 71 days > 61: no_checkin
#   m4: first meeting 1 May, check-in 15 Jun, ratings 4 (1 May), 2 (1 Jun), 1 (15 Jun) -> low_ratings
#   m5: ended (breakdown 'moved'), old ratings 1, 1 -> closed, no warnings
#   m6: first meeting 20 Apr, ratings 1 (1 May), 5 (1 Jun) -> the last two are not both low
MATCHES = (
    MatchTimeline("m1", "Almere", date(2026, 6, 1)),
    MatchTimeline("m2", "Almere", date(2026, 6, 20)),
    MatchTimeline(
        "m3",
        "Almere",
        date(2026, 3, 20),
        date(2026, 4, 5),
        checkins=(date(2026, 4, 1), date(2026, 4, 20)),
        goals=1,
    ),
    MatchTimeline(
        "m4",
        "Almere",
        date(2026, 4, 1),
        date(2026, 5, 1),
        checkins=(date(2026, 6, 15),),
        ratings=((date(2026, 6, 1), 2), (date(2026, 5, 1), 4), (date(2026, 6, 15), 1)),
    ),
    MatchTimeline(
        "m5",
        "Haarlem",
        date(2026, 1, 10),
        date(2026, 1, 20),
        active=False,
        ended_reason="moved",
        ratings=((date(2026, 2, 1), 1), (date(2026, 3, 1), 1)),
    ),
    MatchTimeline(
        "m6",
        "Haarlem",
        date(2026, 4, 10),
        date(2026, 4, 20),
        checkins=(date(2026, 6, 1),),
        ratings=((date(2026, 5, 1), 1), (date(2026, 6, 1), 5)),
        goals=2,
    ),
)


def test_every_warning_rule_on_the_hand_worked_timeline():
    found = warnings(MATCHES, PARTICIPANTS, today=TODAY)
    assert found == [
        Alert("no_first_meeting", "m1", 29),
        Alert("no_checkin", "m3", 71),
        Alert("low_ratings", "m4"),
        Alert("waiting_beyond_target", "household h4", 60),
    ]


def test_thresholds_are_the_programmes_to_set():
    found = warnings(
        MATCHES,
        PARTICIPANTS,
        today=TODAY,
        thresholds=Thresholds(target_days=14, first_meeting_days=7, checkin_gap_days=90),
    )
    assert Alert("no_first_meeting", "m2", 10) in found
    assert Alert("waiting_beyond_target", "household h5", 20) in found
    assert not any(a.rule == "no_checkin" for a in found)


def test_plan_share_checkin_coverage_and_breakdowns():
    figures = programme_figures(MATCHES, today=TODAY)
    # Met: m3, m4, m5, m6 -> with a goal: m3, m6 -> 2 / 4.
    assert figures.with_plan_share == 0.5
    # Active: m1, m2, m3, m4, m6 -> a check-in within 61 days: m4 (15 Jun), m6 (1 Jun) -> 2 / 5.
    assert figures.checkin_coverage == 0.4
    assert figures.breakdowns == {"moved": 1}
    assert figures.matches == 6


def test_a_first_meeting_before_the_intake_is_refused_naming_the_record():
    bad = ParticipantTimeline("h9", "household", "Almere", date(2026, 5, 1), None, date(2026, 4, 1))
    with pytest.raises(InvalidInput, match="household h9: first_meeting"):
        to_first_meeting([bad])
