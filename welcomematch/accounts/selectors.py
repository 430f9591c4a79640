"""Read-only queries for accounts and the audit trail."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from welcomematch.accounts.models import AuditEvent
from welcomematch.accounts.scope import programme_scope


def audit_events_visible(*, user: Any) -> QuerySet[AuditEvent]:
    """The audit events of ``user``'s programme scope; superusers also see events of no
    programme (the system's own: retention, failed logins with unknown names)."""
    scope = programme_scope(user)
    qs = AuditEvent.objects.select_related("actor").order_by("-created_at", "-id")
    if scope.is_empty:
        return qs.none()
    if scope.programme_ids is None:
        return qs
    return qs.filter(programme_id__in=scope.programme_ids)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_events_filtered(
    *,
    events: QuerySet[AuditEvent],
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    actor: str = "",
    ip_address: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """``events`` narrowed by the audit page's filters (``until`` includes that whole day)."""
    if action:
        events = events.filter(action__startswith=action)
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    if actor:
        events = events.filter(Q(actor__username__iexact=actor) | Q(data__username=actor))
    if ip_address:
        events = events.filter(ip_address=ip_address)
    if since is not None:
        events = events.filter(created_at__gte=_day_start(since))
    if until is not None:
        events = events.filter(created_at__lt=_day_start(until + timedelta(days=1)))
    return events


def audit_actions() -> list[str]:
    """Every action name recorded so far, for the filter's choices."""
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())


def audit_object_types() -> list[str]:
    return list(
        AuditEvent.objects.order_by("object_type").values_list("object_type", flat=True).distinct()
    )
