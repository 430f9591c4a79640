"""What a report reads: survey responses as the core's input, and the programme's figures.

Read-only. The survey side turns submitted :class:`~welcomematch.surveys.models.Response` rows
into :class:`~welcomematch.core.evaluation.ResponseRecord`; the programme side counts matches,
breakdowns, rematches and waiting times from the intake and lifecycle records. Filters are
the same for both: a programme, optionally one city and a period (dates, inclusive).

Definitions (also shown on the report):

- *responses*: submitted responses (``submitted_at`` set) of the moment, of respondents in the
  city (the response's city), submitted within the period;
- *intake comparison*: the newcomers' submitted intake responses in the same city, whatever
  their date (the intake happened before the period of a later moment);
- *invited*: personal links of the moment's waves in the city, created within the period;
  the response rate is responses through a link / invited;
- *matches made*: matches proposed within the period that got beyond a proposal (first meeting
  planned, active, completed, or ended after they had started or met), in the city of the
  household or the group;
- *breakdowns*: matches ended early, per end reason;
- *rematches*: made matches of a household or group that had an earlier match end early;
- *waiting time*: days from the completed intake of the household (and of the group) to the
  first meeting, over the made matches with a first meeting.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from welcomematch.core.evaluation import ItemSpec, ResponseRecord, compute_report
from welcomematch.core.scales import SIDES
from welcomematch.lifecycle.models import Match, MatchStatus
from welcomematch.programmes.models import Category, CategoryKind, City, Programme
from welcomematch.surveys.models import Instrument, Item, Respondent, Response

MADE_STATUSES = (MatchStatus.INTRODUCED, MatchStatus.ACTIVE, MatchStatus.COMPLETED)


@dataclass(frozen=True, slots=True)
class ReportFilter:
    """Which responses and records a report covers."""

    programme: Programme
    moment: str
    city: City | None = None
    date_from: date | None = None
    date_to: date | None = None

    @property
    def period(self) -> tuple[date | None, date | None] | None:
        if self.date_from is None and self.date_to is None:
            return None
        return (self.date_from, self.date_to)


@dataclass(frozen=True, slots=True)
class ItemText:
    """An item's wording per side and language, its scale, and whether it is about the match."""

    code: str
    scale: str
    text: dict[str, dict[str, str]]
    concerns_match: bool


@dataclass(frozen=True, slots=True)
class DaysSummary:
    count: int
    median: float | None
    mean: float | None
    minimum: float | None
    maximum: float | None


@dataclass(frozen=True, slots=True)
class ProgrammeFigures:
    matches_made: int
    matches_by_status: dict[str, int]
    breakdowns: int
    breakdown_reasons: list[tuple[str, str, int]]  # (code, label, count)
    rematches: int
    waiting_household: DaysSummary
    waiting_group: DaysSummary
    invited: dict[str, int]
    through_link: dict[str, int]
    response_rate: dict[str, float | None]
    by_trial_arm: dict[str, dict[str, int]] = field(default_factory=dict)


def _bounds(flt: ReportFilter) -> tuple[datetime | None, datetime | None]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(flt.date_from, time.min, tzinfo=tz) if flt.date_from else None
    end = (
        datetime.combine(flt.date_to + timedelta(days=1), time.min, tzinfo=tz)
        if flt.date_to
        else None
    )
    return start, end


def _in_period(field_name: str, flt: ReportFilter) -> Q:
    start, end = _bounds(flt)
    query = Q()
    if start is not None:
        query &= Q(**{f"{field_name}__gte": start})
    if end is not None:
        query &= Q(**{f"{field_name}__lt": end})
    return query


def submitted_responses(flt: ReportFilter) -> QuerySet[Response]:
    """The moment's submitted responses in the filter (the report's population)."""
    qs = Response.objects.filter(
        programme=flt.programme, moment=flt.moment, submitted_at__isnull=False
    ).filter(_in_period("submitted_at", flt))
    if flt.city is not None:
        qs = qs.filter(city=flt.city)
    return qs


def intake_responses(flt: ReportFilter) -> QuerySet[Response]:
    """The newcomers' submitted intake responses in the city (any date), for comparison."""
    qs = Response.objects.filter(
        programme=flt.programme, moment="intake", side="newcomer", submitted_at__isnull=False
    )
    if flt.city is not None:
        qs = qs.filter(city=flt.city)
    return qs


def records(responses: QuerySet[Response]) -> list[ResponseRecord]:
    """Responses with their answers as the core's records (lists of codes become tuples)."""
    result = []
    for response in responses.order_by("pk").prefetch_related("answers"):
        answers: dict[str, Any] = {}
        for answer in response.answers.all():
            value = answer.value
            answers[answer.item_code] = tuple(value) if isinstance(value, list) else value
        result.append(ResponseRecord(side=response.side, answers=answers))
    return result


def item_texts(*, moment: str) -> list[ItemText]:
    """The moment's items in report order, with wording per side.

    Items come from every version of the moment's instruments (responses keep the version they
    answered), the newest version's wording and scale first; the order is that of the group
    members' instrument, with the newcomers' own items after the item they follow there.
    """
    per_side: dict[str, list[Item]] = {}
    for side in SIDES:
        seen: dict[str, Item] = {}
        instruments = Instrument.objects.filter(moment=moment, side=side).order_by("-version")
        for instrument in instruments:
            for item in instrument.items.order_by("position", "pk"):
                seen.setdefault(item.code, item)
        per_side[side] = list(seen.values())
    order: list[str] = [item.code for item in per_side[SIDES[0]]]
    previous: str | None = None
    for item in per_side[SIDES[1]]:
        if item.code not in order:
            index = order.index(previous) + 1 if previous is not None else 0
            order.insert(index, item.code)
        previous = item.code
    texts: dict[str, ItemText] = {}
    for code in order:
        wording: dict[str, dict[str, str]] = {}
        scale = ""
        concerns = False
        for side in SIDES:
            for item in per_side[side]:
                if item.code == code:
                    wording[side] = dict(item.text)
                    scale = scale or item.scale
                    concerns = concerns or item.concerns_match
        texts[code] = ItemText(code=code, scale=scale, text=wording, concerns_match=concerns)
    return list(texts.values())


def item_specs(texts: Sequence[ItemText]) -> list[ItemSpec]:
    return [
        ItemSpec(code=text.code, side=side, scale=text.scale)
        for text in texts
        for side in SIDES
        if side in text.text
    ]


def survey_report(flt: ReportFilter) -> tuple[dict[str, Any], list[ItemText]]:
    """The ``welcomematch.report/1`` report of the filter, and the wording of its items."""
    texts = item_texts(moment=flt.moment)
    report = compute_report(
        programme=flt.programme.slug,
        moment=flt.moment,
        city=flt.city.name if flt.city is not None else None,
        period=flt.period,
        items=item_specs(texts),
        responses=records(submitted_responses(flt)),
        intake_responses=records(intake_responses(flt)) if flt.moment != "intake" else [],
    )
    return report, texts


def _days(values: Sequence[float]) -> DaysSummary:
    if not values:
        return DaysSummary(0, None, None, None, None)
    return DaysSummary(
        count=len(values),
        median=float(statistics.median(values)),
        mean=statistics.fmean(values),
        minimum=min(values),
        maximum=max(values),
    )


def programme_matches(flt: ReportFilter) -> QuerySet[Match]:
    """Matches of the programme proposed within the period, in the city of either side."""
    qs = Match.objects.filter(group__programme=flt.programme).filter(_in_period("proposed_at", flt))
    if flt.city is not None:
        qs = qs.filter(Q(household__city=flt.city) | Q(group__city=flt.city))
    return qs.select_related("group", "household")


def _made(match: Match) -> bool:
    if match.status in MADE_STATUSES:
        return True
    return match.status == MatchStatus.ENDED and (
        match.started_at is not None or match.first_meeting_at is not None
    )


def programme_figures(flt: ReportFilter) -> ProgrammeFigures:
    """Matches, breakdowns, rematches, waiting times and response rates of the filter."""
    matches = list(programme_matches(flt).order_by("proposed_at", "pk"))
    made = [m for m in matches if _made(m)]
    by_status = Counter(m.status for m in matches)
    ended = [m for m in matches if m.status == MatchStatus.ENDED]
    labels = {c.code: c.label for c in Category.objects.filter(kind=CategoryKind.END_REASON)}
    reasons = Counter(m.end_reason for m in ended)
    breakdown_reasons = sorted(
        ((code, labels.get(code, code) if code else "", count) for code, count in reasons.items()),
        key=lambda row: (-row[2], row[1]),
    )
    earlier_ended = Match.objects.filter(
        group__programme=flt.programme, status=MatchStatus.ENDED
    ).values_list("group_id", "household_id", "proposed_at")
    ended_rows = list(earlier_ended)
    rematches = sum(
        1
        for m in made
        if any(
            (g == m.group_id or h == m.household_id) and when < m.proposed_at
            for g, h, when in ended_rows
        )
    )
    household_waits = [
        (m.first_meeting_at - m.household.intake_completed_at).total_seconds() / 86400
        for m in made
        if m.first_meeting_at and m.household.intake_completed_at
    ]
    group_waits = [
        (m.first_meeting_at - m.group.intake_completed_at).total_seconds() / 86400
        for m in made
        if m.first_meeting_at and m.group.intake_completed_at
    ]
    invited_qs = Respondent.objects.filter(
        wave__programme=flt.programme, wave__moment=flt.moment
    ).filter(_in_period("created_at", flt))
    if flt.city is not None:
        invited_qs = invited_qs.filter(Q(city=flt.city) | Q(city__isnull=True, wave__city=flt.city))
    invited = {side: invited_qs.filter(side=side).count() for side in SIDES}
    submitted = submitted_responses(flt)
    through_link = {
        side: submitted.filter(side=side, respondent__isnull=False).count() for side in SIDES
    }
    rate = {side: (through_link[side] / invited[side]) if invited[side] else None for side in SIDES}
    arms: dict[str, dict[str, int]] = {}
    for side, arm in submitted.values_list("side", "trial_arm"):
        arms.setdefault(arm or "", dict.fromkeys(SIDES, 0))[side] += 1
    return ProgrammeFigures(
        matches_made=len(made),
        matches_by_status={status: by_status.get(status, 0) for status in MatchStatus.values},
        breakdowns=len(ended),
        breakdown_reasons=breakdown_reasons,
        rematches=rematches,
        waiting_household=_days(household_waits),
        waiting_group=_days(group_waits),
        invited=invited,
        through_link=through_link,
        response_rate=rate,
        by_trial_arm=arms,
    )
