"""Read-only queries for matches and their audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import models
from django.db.models import (
    BooleanField,
    Case,
    Count,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.aggregates import Min
from django.db.models.functions import Coalesce
from django.utils import timezone

from welcomematch.accounts import scope
from welcomematch.accounts.models import AuditEvent, User
from welcomematch.core.ambassadors import AmbassadorSlot, MatchNeed, suggest_ambassadors
from welcomematch.core.waiting import (
    Alert,
    MatchTimeline,
    ParticipantTimeline,
    ProgrammeFigures,
    Summary,
    Thresholds,
    programme_figures,
    summarise,
    to_first_meeting,
    waiting_list,
    warnings,
)
from welcomematch.intake.models import Household, WelcomeGroup
from welcomematch.lifecycle.models import (
    OPEN_MATCH_STATUSES,
    CheckIn,
    ContactPerson,
    CulturalAmbassador,
    JointGoal,
    Match,
    MatchStatus,
    ParticipantRating,
)
from welcomematch.programmes.models import City, Programme

#: An open match needs attention when its last check-in raised a concern, or when nobody has
#: checked in for longer than this (counted from the match's proposal when there is none yet).
ATTENTION_AFTER_DAYS = 35


def audit_trail(*objects: models.Model) -> QuerySet[AuditEvent]:
    """The audit events of the given records, newest first."""
    query = Q(pk__in=[])
    for obj in objects:
        query |= Q(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    return AuditEvent.objects.filter(query).select_related("actor").order_by("-created_at", "-id")


def _attention_query() -> Q:
    now = timezone.now()
    cutoff = (now - timedelta(days=ATTENTION_AFTER_DAYS)).date()
    return Q(status__in=OPEN_MATCH_STATUSES) & (
        Q(last_concern=True)
        | Q(last_checkin__lt=cutoff)
        | Q(last_checkin__isnull=True, proposed_at__lt=now - timedelta(days=ATTENTION_AFTER_DAYS))
    )


def with_attention(qs: QuerySet[Match]) -> QuerySet[Match]:
    """Annotate ``last_checkin``, ``last_concern`` and ``needs_attention``."""
    latest = CheckIn.objects.filter(match=OuterRef("pk")).order_by("-held_on", "-id")
    return qs.annotate(
        last_checkin=Subquery(latest.values("held_on")[:1]),
        last_concern=Subquery(latest.values("concern")[:1]),
    ).annotate(
        needs_attention=Case(
            When(_attention_query(), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def matches_visible_to(*, user: User) -> QuerySet[Match]:
    """The matches ``user`` may open (:func:`welcomematch.accounts.scope.visible_matches`)."""
    return scope.visible_matches(user).select_related(
        "group", "household", "household__city", "ambassador"
    )


def matches_filtered(
    *,
    matches: QuerySet[Match],
    status: str = "",
    city: City | None = None,
    attention: bool = False,
) -> QuerySet[Match]:
    qs = with_attention(matches)
    if status:
        qs = qs.filter(status=status)
    if city is not None:
        qs = qs.filter(household__city=city)
    if attention:
        qs = qs.filter(_attention_query())
    return qs.order_by("-proposed_at", "-id")


def checkins_of(*, match: Match) -> QuerySet[CheckIn]:
    return match.checkins.select_related("author").order_by("-held_on", "-id")


def participant_ratings_of(*, match: Match) -> QuerySet[ParticipantRating]:
    """What the group and the household said from their personal pages, newest first."""
    return match.participant_ratings.order_by("-created_at", "-id")


def goals_of(*, match: Match) -> QuerySet[JointGoal]:
    return match.goals.order_by("target_date", "id")


def ambassadors_of(*, programme: Programme) -> QuerySet[CulturalAmbassador]:
    return available_ambassadors(programme=programme, today=timezone.localdate()).order_by("name")


# --- cultural ambassadors -----------------------------------------------------------------


def available_q(today: date) -> Q:
    """The one rule for availability: active, and not marked unavailable through ``today``."""
    return Q(active=True) & (Q(unavailable_until__isnull=True) | Q(unavailable_until__lt=today))


def available_ambassadors(
    *, programme: Programme | None, today: date
) -> QuerySet[CulturalAmbassador]:
    """Ambassadors who can take a match today (of one programme, or any with ``None``)."""
    qs = CulturalAmbassador.objects.filter(available_q(today))
    if programme is not None:
        qs = qs.filter(programme=programme)
    return qs


def ambassadors_with_load(*, programme: Programme) -> QuerySet[CulturalAmbassador]:
    """All ambassadors of the programme with ``load``: their open matches."""
    return (
        CulturalAmbassador.objects.filter(programme=programme)
        .annotate(load=Count("matches", filter=Q(matches__status__in=OPEN_MATCH_STATUSES)))
        .select_related("user")
        .prefetch_related("cities")
        .order_by("name")
    )


def contact_persons_with_load(*, programme: Programme) -> QuerySet[ContactPerson]:
    """All contact persons of the programme with ``load``: their groups with an open match."""
    return (
        ContactPerson.objects.filter(programme=programme)
        .annotate(
            load=Count(
                "groups",
                filter=Q(groups__matches__status__in=OPEN_MATCH_STATUSES),
                distinct=True,
            )
        )
        .select_related("user")
        .prefetch_related("cities")
        .order_by("name")
    )


def ambassador_matches(*, ambassador: CulturalAmbassador) -> QuerySet[Match]:
    """The ambassador's matches, open ones first, for the load page."""
    return (
        Match.objects.filter(ambassador=ambassador)
        .select_related("group", "household", "household__city")
        .annotate(
            open_first=Case(
                When(status__in=OPEN_MATCH_STATUSES, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .order_by("-open_first", "-proposed_at", "-id")
    )


def matches_without_ambassador(*, programme: Programme) -> QuerySet[Match]:
    """Open matches of the programme that have no ambassador yet, oldest first."""
    return (
        Match.objects.filter(
            household__programme=programme, status__in=OPEN_MATCH_STATUSES, ambassador__isnull=True
        )
        .select_related("group", "household", "household__city")
        .order_by("proposed_at", "id")
    )


@dataclass(frozen=True)
class SuggestedAmbassador:
    """A suggestion of the core, with the rows it is about."""

    match: Match
    ambassador: CulturalAmbassador
    shared_languages: tuple[str, ...]
    same_city: bool
    load_after: int
    maximum: int


@dataclass(frozen=True)
class NoAmbassador:
    """A match the core left out, with its reason (``declined``, ``no_language``, ``all_full``)."""

    match: Match
    reason: str


def ambassador_suggestions(
    *, programme: Programme, matches: QuerySet[Match], today: date
) -> tuple[list[SuggestedAmbassador], list[NoAmbassador]]:
    """The core's suggestion (:func:`welcomematch.core.ambassadors.suggest_ambassadors`) for
    ``matches`` over the ambassadors available today, with their current open loads."""
    rows = list(matches.select_related("household"))
    slots_qs = (
        available_ambassadors(programme=programme, today=today)
        .annotate(load=Count("matches", filter=Q(matches__status__in=OPEN_MATCH_STATUSES)))
        .order_by("pk")
    )
    ambassadors = {a.pk: a for a in slots_qs}
    cities: dict[int, list[str]] = {}
    for amb_id, city_id in CulturalAmbassador.cities.through.objects.filter(
        culturalambassador_id__in=list(ambassadors)
    ).values_list("culturalambassador_id", "city_id"):
        cities.setdefault(amb_id, []).append(str(city_id))
    needs = [
        MatchNeed(
            id=str(m.pk),
            languages=tuple(m.household.languages),
            city=str(m.household.city_id),
            wants_ambassador=m.household.wants_ambassador,
        )
        for m in rows
    ]
    slots = [
        AmbassadorSlot(
            id=str(a.pk),
            languages=tuple(a.languages),
            cities=tuple(sorted(cities.get(a.pk, []))),
            load=a.load,
            maximum=a.capacity,
        )
        for a in ambassadors.values()
    ]
    suggested, left_out = suggest_ambassadors(needs, slots)
    by_id = {str(m.pk): m for m in rows}
    return (
        [
            SuggestedAmbassador(
                match=by_id[s.match],
                ambassador=ambassadors[int(s.ambassador)],
                shared_languages=s.shared_languages,
                same_city=s.same_city,
                load_after=s.load_after,
                maximum=s.maximum,
            )
            for s in suggested
        ],
        [NoAmbassador(match=by_id[n.match], reason=n.reason) for n in left_out],
    )


# --- waiting times and programme figures --------------------------------------------------


def thresholds_of(programme: Programme) -> Thresholds:
    """The programme's configured targets, as the core's :class:`Thresholds`."""
    return Thresholds(
        target_days=programme.target_days,
        first_meeting_days=programme.first_meeting_days,
        checkin_gap_days=programme.checkin_gap_days,
        low_rating=programme.low_rating,
    )


def _day(value: datetime | None) -> date | None:
    return timezone.localtime(value).date() if value is not None else None


def _met_expression(prefix: str, now: datetime) -> Min:
    """The earliest first meeting that has taken place (or the start, without one)."""
    return Min(
        Coalesce(f"{prefix}first_meeting_at", f"{prefix}started_at"),
        filter=Q(**{f"{prefix}first_meeting_at__lte": now})
        | Q(**{f"{prefix}first_meeting_at__isnull": True, f"{prefix}started_at__lte": now}),
    )


def participant_timelines(*, programme: Programme) -> list[ParticipantTimeline]:
    """Every group and household of the programme as the core's timeline: intake completed,
    first matched, first meeting that took place, withdrawn. Two queries, none per row."""
    now = timezone.now()
    timelines: list[ParticipantTimeline] = []
    for side, model in (("group", WelcomeGroup), ("household", Household)):
        rows = (
            model.objects.filter(programme=programme)
            .annotate(
                matched=Min("matches__proposed_at"),
                met=_met_expression("matches__", now),
            )
            .values("pk", "city__name", "intake_completed_at", "withdrawn_at", "matched", "met")
            .order_by("pk")
        )
        for row in rows:
            intake = _day(row["intake_completed_at"])
            matched, met = _day(row["matched"]), _day(row["met"])
            if intake is not None:
                # An intake re-completed after a correction still counts from the first time:
                # nobody is matched or meets before their intake is complete.
                intake = min(d for d in (intake, matched, met) if d is not None)
            timelines.append(
                ParticipantTimeline(
                    id=str(row["pk"]),
                    side=side,
                    city=row["city__name"] or "",
                    intake_completed=intake,
                    matched=matched,
                    first_meeting=met,
                    withdrawn=_day(row["withdrawn_at"]),
                )
            )
    return timelines


def match_timelines(*, programme: Programme) -> list[MatchTimeline]:
    """Every match of the programme as the core's timeline. Two queries, none per row."""
    now = timezone.now()
    rows = list(
        Match.objects.filter(household__programme=programme)
        .annotate(goal_count=Count("goals", distinct=True))
        .values(
            "pk",
            "household__city__name",
            "status",
            "proposed_at",
            "first_meeting_at",
            "started_at",
            "end_reason",
            "goal_count",
        )
        .order_by("proposed_at", "pk")
    )
    checkins: dict[int, list[tuple[date, int | None]]] = {}
    for match_id, held_on, satisfaction in (
        CheckIn.objects.filter(match__household__programme=programme)
        .order_by("held_on", "id")
        .values_list("match_id", "held_on", "satisfaction")
    ):
        checkins.setdefault(match_id, []).append((held_on, satisfaction))
    # The participants' own ratings count with the check-ins' ratings ("two low in a row").
    ratings: dict[int, list[tuple[date, int]]] = {}
    for match_id, sent_at, rating in (
        ParticipantRating.objects.filter(match__household__programme=programme)
        .order_by("created_at", "id")
        .values_list("match_id", "created_at", "rating")
    ):
        ratings.setdefault(match_id, []).append((timezone.localtime(sent_at).date(), rating))
    timelines = []
    for row in rows:
        met = row["first_meeting_at"] if row["first_meeting_at"] else row["started_at"]
        if met is not None and met > now:
            met = None
        held = checkins.get(row["pk"], [])
        timelines.append(
            MatchTimeline(
                id=str(row["pk"]),
                city=row["household__city__name"] or "",
                made=_day(row["proposed_at"]) or timezone.localdate(),
                first_meeting=_day(met),
                active=row["status"] in OPEN_MATCH_STATUSES,
                ended_reason=(row["end_reason"] or None)
                if row["status"] == MatchStatus.ENDED
                else None,
                checkins=tuple(d for d, _r in held),
                ratings=tuple(
                    [(d, r) for d, r in held if r is not None] + ratings.get(row["pk"], [])
                ),
                goals=row["goal_count"],
            )
        )
    return timelines


@dataclass(frozen=True)
class CityWaiting:
    """Waiting-time summaries of one city (or the whole programme, ``city=""``)."""

    city: str
    to_match: Summary
    to_first_meeting: Summary


@dataclass(frozen=True)
class WaitingOverview:
    """Everything the waiting-times page and the dashboard show, computed once."""

    thresholds: Thresholds
    today: date
    participants: list[ParticipantTimeline]
    matches: list[MatchTimeline]
    per_city: list[CityWaiting]
    longest: list[tuple[ParticipantTimeline, int]]
    figures: ProgrammeFigures
    alerts: list[Alert]


def waiting_overview(*, programme: Programme, today: date | None = None) -> WaitingOverview:
    """Waiting times per city and overall, the longest-waiting list, the programme figures
    and the warnings, from the core's definitions (:mod:`welcomematch.core.waiting`)."""
    today = today or timezone.localdate()
    thresholds = thresholds_of(programme)
    participants = participant_timelines(programme=programme)
    matches = match_timelines(programme=programme)

    def summaries(city: str, people: list[ParticipantTimeline]) -> CityWaiting:
        to_match = [
            (p.matched - p.intake_completed).days
            for p in people
            if p.matched is not None
            and p.intake_completed is not None
            and p.matched >= p.intake_completed
        ]
        to_meeting = [d for days in to_first_meeting(people).values() for d in days]
        return CityWaiting(
            city=city,
            to_match=summarise(to_match, target=thresholds.target_days),
            to_first_meeting=summarise(to_meeting, target=thresholds.target_days),
        )

    cities = sorted({p.city for p in participants if p.intake_completed is not None})
    per_city = [summaries(c, [p for p in participants if p.city == c]) for c in cities]
    per_city.append(summaries("", participants))
    return WaitingOverview(
        thresholds=thresholds,
        today=today,
        participants=participants,
        matches=matches,
        per_city=per_city,
        longest=waiting_list(participants, today=today),
        figures=programme_figures(matches, today=today, thresholds=thresholds),
        alerts=warnings(matches, participants, today=today, thresholds=thresholds),
    )
