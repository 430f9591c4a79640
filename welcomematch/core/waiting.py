"""Waiting times, programme figures and the warnings a coordinator must act on.

Definitions
-----------
All dates are calendar dates; a duration is the number of days between two dates.

*Waiting times* of a participant (a group or a household):

- ``to_match`` = matched − intake completed;
- ``to_first_meeting`` = first meeting − intake completed (the pilot's "too long" wait);
- a participant still waiting has ``waited`` = today − intake completed, counted until the
  first meeting takes place (a withdrawn participant waits no longer).

*Summary* of a list of durations: count, mean, median (the middle value, or the mean of the
two middle values), maximum, and ``within_target`` = share of durations ``<= target``
(``None`` for an empty list).

*Programme figures* over matches: ``with_plan_share`` = share of matches that reached a first
meeting and have at least one joint goal (the pilot: 20 %); ``checkin_coverage`` = share of
active matches with a check-in within the last ``checkin_gap_days``; breakdowns counted per
reason.

*Warnings* (each names the match or participant and the rule):

- ``no_first_meeting``: a match made at least ``first_meeting_days`` ago without a first
  meeting;
- ``low_ratings``: the two most recent ratings of an open match (1–5, in date order) are both
  ``<= low_rating``;
- ``no_checkin``: an active match whose last check-in (or, without one, its first meeting) is
  more than ``checkin_gap_days`` ago;
- ``waiting_beyond_target``: a participant with a completed intake, not withdrawn and without a
  first meeting, who has waited more than ``target_days``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from welcomematch.core.errors import InvalidInput

__all__ = [
    "Alert",
    "MatchTimeline",
    "ParticipantTimeline",
    "ProgrammeFigures",
    "Summary",
    "Thresholds",
    "programme_figures",
    "summarise",
    "to_first_meeting",
    "waiting_list",
    "warnings",
]


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The programme's targets; the defaults follow the pilot's lessons."""

    target_days: int = 42
    first_meeting_days: int = 21
    checkin_gap_days: int = 61
    low_rating: int = 2


@dataclass(frozen=True, slots=True)
class ParticipantTimeline:
    """One group or household: when its intake was completed, matched, first met."""

    id: str
    side: str
    city: str
    intake_completed: date | None
    matched: date | None = None
    first_meeting: date | None = None
    withdrawn: date | None = None


@dataclass(frozen=True, slots=True)
class MatchTimeline:
    """One match: made, first meeting, ended (with reason), check-ins, ratings, goals."""

    id: str
    city: str
    made: date
    first_meeting: date | None = None
    active: bool = True
    ended_reason: str | None = None
    checkins: tuple[date, ...] = ()
    ratings: tuple[tuple[date, int], ...] = ()
    goals: int = 0


@dataclass(frozen=True, slots=True)
class Summary:
    count: int
    mean: float | None
    median: float | None
    maximum: int | None
    within_target: float | None


@dataclass(frozen=True, slots=True)
class Alert:
    rule: str
    subject: str
    days: int | None = None


@dataclass(frozen=True, slots=True)
class ProgrammeFigures:
    matches: int
    with_plan_share: float | None
    checkin_coverage: float | None
    breakdowns: dict[str, int] = field(default_factory=dict)


def _days(start: date, end: date, record: str, what: str) -> int:
    days = (end - start).days
    if days < 0:
        raise InvalidInput(
            f"lies before the intake ({start.isoformat()})", record=record, field=what
        )
    return days


def summarise(durations: Sequence[int], *, target: int) -> Summary:
    """Count, mean, median, maximum and share within ``target`` of a list of durations."""
    if not durations:
        return Summary(0, None, None, None, None)
    ordered = sorted(durations)
    n = len(ordered)
    middle = n // 2
    median = float(ordered[middle]) if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return Summary(
        count=n,
        mean=sum(ordered) / n,
        median=median,
        maximum=ordered[-1],
        within_target=sum(1 for d in ordered if d <= target) / n,
    )


def to_first_meeting(participants: Iterable[ParticipantTimeline]) -> dict[str, list[int]]:
    """Days from intake to first meeting per city, for those who had one."""
    per_city: dict[str, list[int]] = {}
    for p in participants:
        if p.intake_completed is None or p.first_meeting is None:
            continue
        days = _days(p.intake_completed, p.first_meeting, f"{p.side} {p.id}", "first_meeting")
        per_city.setdefault(p.city, []).append(days)
    return per_city


def waiting_list(
    participants: Iterable[ParticipantTimeline], *, today: date
) -> list[tuple[ParticipantTimeline, int]]:
    """Participants still waiting for a first meeting, longest wait first (ties by id)."""
    waiting = []
    for p in participants:
        if p.intake_completed is None or p.first_meeting is not None or p.withdrawn is not None:
            continue
        waiting.append((p, _days(p.intake_completed, today, f"{p.side} {p.id}", "today")))
    waiting.sort(key=lambda item: (-item[1], item[0].side, item[0].id))
    return waiting


def programme_figures(
    matches: Sequence[MatchTimeline], *, today: date, thresholds: Thresholds = Thresholds()
) -> ProgrammeFigures:
    """Joint-plan share, check-in coverage and breakdowns (see the module docstring)."""
    met = [m for m in matches if m.first_meeting is not None]
    active = [m for m in matches if m.active]
    covered = [
        m
        for m in active
        if m.checkins and (today - max(m.checkins)).days <= thresholds.checkin_gap_days
    ]
    breakdowns = Counter(m.ended_reason for m in matches if m.ended_reason)
    return ProgrammeFigures(
        matches=len(matches),
        with_plan_share=(sum(1 for m in met if m.goals > 0) / len(met)) if met else None,
        checkin_coverage=(len(covered) / len(active)) if active else None,
        breakdowns=dict(sorted(breakdowns.items())),
    )


def warnings(
    matches: Iterable[MatchTimeline],
    participants: Iterable[ParticipantTimeline],
    *,
    today: date,
    thresholds: Thresholds = Thresholds(),
) -> list[Alert]:
    """Every warning the rules of the module docstring raise, matches first, in input order."""
    found: list[Alert] = []
    for m in matches:
        if not m.active:
            continue
        since_made = (today - m.made).days
        if m.first_meeting is None and since_made >= thresholds.first_meeting_days:
            found.append(Alert("no_first_meeting", m.id, since_made))
        ratings = sorted(m.ratings)
        if len(ratings) >= 2 and all(r <= thresholds.low_rating for _, r in ratings[-2:]):
            found.append(Alert("low_ratings", m.id))
        if m.first_meeting is not None:
            last = max((*m.checkins, m.first_meeting))
            gap = (today - last).days
            if gap > thresholds.checkin_gap_days:
                found.append(Alert("no_checkin", m.id, gap))
    for p, days in waiting_list(participants, today=today):
        if days > thresholds.target_days:
            found.append(Alert("waiting_beyond_target", f"{p.side} {p.id}", days))
    return found
