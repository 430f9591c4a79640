"""Retention periods per record type, applied by ``welcomematch retention apply [--dry-run]``.

Each rule names the records it concerns, how long they are kept (a setting, in days) and what
happens after: participants are *erased* (identifying data removed, pseudonymised research
records kept, see :mod:`welcomematch.privacy.services`); other records are deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from welcomematch.accounts.services import audit_event_record, audit_events_purge
from welcomematch.intake.models import GroupInvitation, Household, ImportRun, WelcomeGroup
from welcomematch.lifecycle.models import Match, MatchStatus
from welcomematch.participants.models import ParticipantLink
from welcomematch.privacy.models import Erasure
from welcomematch.privacy.services import group_erase, household_erase

OPEN = (MatchStatus.PROPOSED, MatchStatus.INTRODUCED, MatchStatus.ACTIVE)
RETENTION_REASON = "retention period passed"


def days(name: str) -> int:
    return int(getattr(settings, name))


def _inactive_participants(model: Any, side: str, now: datetime) -> QuerySet[Any]:
    """Participants that left (withdrawn) or whose last match closed more than the period ago,
    with no open match, not erased yet."""
    cutoff = now - timedelta(days=days("RETENTION_PARTICIPANT_DAYS"))
    open_match = Match.objects.filter(**{side: OuterRef("pk")}, status__in=OPEN)
    recent_match = Match.objects.filter(**{side: OuterRef("pk")}, ended_at__gte=cutoff)
    closed_match = Match.objects.filter(**{side: OuterRef("pk")}, ended_at__lt=cutoff)
    erased = Erasure.objects.filter(
        object_type=model._meta.label_lower, object_id=OuterRef("pk__str")
    )
    return (
        model.objects.annotate(pk__str=Cast("pk", CharField()))
        .filter(Q(withdrawn_at__lt=cutoff) | Exists(closed_match))
        .exclude(Exists(open_match) | Exists(recent_match) | Exists(erased))
    )


@dataclass(frozen=True)
class Rule:
    """One record type's retention: which records are due, and what is done with them."""

    name: str
    setting: str
    due: Callable[[datetime], QuerySet[Any]]
    apply: Callable[[QuerySet[Any]], int]


def _erase_all(erase: Callable[..., Any], key: str) -> Callable[[QuerySet[Any]], int]:
    def run(qs: QuerySet[Any]) -> int:
        count = 0
        for row in qs:
            erase(**{key: row, "reason": RETENTION_REASON, "actor": None})
            count += 1
        return count

    return run


def _delete(qs: QuerySet[Any]) -> int:
    return int(qs.delete()[0])


def _before(setting: str, now: datetime) -> datetime:
    return now - timedelta(days=days(setting))


RULES: tuple[Rule, ...] = (
    Rule(
        "households who left or finished",
        "RETENTION_PARTICIPANT_DAYS",
        lambda now: _inactive_participants(Household, "household", now),
        _erase_all(household_erase, "household"),
    ),
    Rule(
        "Welcome Groups who left or finished",
        "RETENTION_PARTICIPANT_DAYS",
        lambda now: _inactive_participants(WelcomeGroup, "group", now),
        _erase_all(group_erase, "group"),
    ),
    Rule(
        "unused invitation links",
        "RETENTION_INVITATION_DAYS",
        lambda now: GroupInvitation.objects.filter(
            submitted_at__isnull=True, expires_at__lt=_before("RETENTION_INVITATION_DAYS", now)
        ),
        _delete,
    ),
    Rule(
        "expired or withdrawn personal page links",
        "RETENTION_INVITATION_DAYS",
        lambda now: ParticipantLink.objects.filter(
            Q(expires_at__lt=_before("RETENTION_INVITATION_DAYS", now))
            | Q(revoked_at__lt=_before("RETENTION_INVITATION_DAYS", now))
        ),
        _delete,
    ),
    Rule(
        "survey uploads and their import reports",
        "RETENTION_IMPORT_DAYS",
        lambda now: ImportRun.objects.filter(created_at__lt=_before("RETENTION_IMPORT_DAYS", now)),
        _delete,
    ),
    Rule(
        "login attempts",
        "RETENTION_LOGIN_ATTEMPT_DAYS",
        lambda now: AccessAttempt.objects.filter(
            attempt_time__lt=_before("RETENTION_LOGIN_ATTEMPT_DAYS", now)
        ),
        _delete,
    ),
    Rule(
        "login history",
        "RETENTION_LOGIN_ATTEMPT_DAYS",
        lambda now: AccessLog.objects.filter(
            attempt_time__lt=_before("RETENTION_LOGIN_ATTEMPT_DAYS", now)
        ),
        _delete,
    ),
    Rule(
        "expired sessions",
        "SESSION_IDLE_HOURS",
        lambda now: Session.objects.filter(expire_date__lt=now),
        _delete,
    ),
)


@dataclass(frozen=True)
class Outcome:
    rule: str
    kept_days: float
    count: int


def retention_apply(*, dry_run: bool, now: datetime | None = None) -> list[Outcome]:
    """Apply every rule (or, with ``dry_run``, count what would go); audited when it ran."""
    now = now or timezone.now()
    outcomes = []
    for rule in RULES:
        kept = (
            float(getattr(settings, rule.setting)) / 24
            if rule.setting == "SESSION_IDLE_HOURS"
            else float(days(rule.setting))
        )
        with transaction.atomic():
            due = rule.due(now)
            count = due.count() if dry_run else rule.apply(due)
        outcomes.append(Outcome(rule.name, kept, count))
    audit_count = audit_events_purge(now=now, dry_run=dry_run)
    outcomes.append(Outcome("audit events", float(days("AUDIT_RETENTION_DAYS")), audit_count))
    if not dry_run:
        with transaction.atomic():
            audit_event_record(
                actor=None,
                action="retention.applied",
                object_type="privacy.retention",
                object_id="",
                data={o.rule: o.count for o in outcomes},
            )
    return outcomes
