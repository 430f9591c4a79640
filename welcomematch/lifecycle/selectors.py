"""Read-only queries for matches and their audit trail."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.db.models import BooleanField, Case, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from welcomematch.accounts import scope
from welcomematch.accounts.models import AuditEvent, User
from welcomematch.lifecycle.models import (
    OPEN_MATCH_STATUSES,
    CheckIn,
    CulturalAmbassador,
    JointGoal,
    Match,
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


def goals_of(*, match: Match) -> QuerySet[JointGoal]:
    return match.goals.order_by("target_date", "id")


def ambassadors_of(*, programme: Programme) -> QuerySet[CulturalAmbassador]:
    return CulturalAmbassador.objects.filter(programme=programme, active=True).order_by("name")
