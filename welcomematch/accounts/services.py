"""Writers for accounts and the audit trail."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from welcomematch.accounts.context import current_ip
from welcomematch.accounts.models import AuditEvent, AuditRetentionGuard, Role, User
from welcomematch.bulk import insert_rows
from welcomematch.i18n import message

#: Paths from an audited record to its programme, tried in order.
PROGRAMME_PATHS = (
    "programme_id",
    "household.programme_id",
    "group.programme_id",
    "match.household.programme_id",
)


def programme_id_of(obj: models.Model) -> int | None:
    """The programme an audited record belongs to (None for records of no programme)."""
    if obj._meta.label_lower == "programmes.programme":
        return int(obj.pk)
    for path in PROGRAMME_PATHS:
        value: Any = obj
        try:
            for part in path.split("."):
                value = getattr(value, part)
        except (AttributeError, models.ObjectDoesNotExist):
            continue
        if isinstance(value, int):
            return value
    return None


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    data: dict[str, Any] | None = None,
    programme_id: int | None = None,
) -> AuditEvent:
    """Append one audit event for ``obj``: who, when, what, from where (the request's address,
    when there is a request). Call inside the service's own transaction."""
    return audit_event_record(
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        data=data,
        programme_id=programme_id if programme_id is not None else programme_id_of(obj),
    )


def audit_record_many(
    *,
    actor: User | None,
    action: str,
    items: Sequence[tuple[models.Model, dict[str, Any]]],
    programme_id: int | None,
) -> None:
    """Append one audit event per ``(record, data)`` of one action, in bulk (a round's
    confirmation creates thousands of matches at once). Call inside the service's transaction."""
    audit_record_rows(
        actor=actor,
        action=action,
        rows=((obj._meta.label_lower, str(obj.pk), data) for obj, data in items),
        programme_id=programme_id,
    )


def audit_record_rows(
    *,
    actor: User | None,
    action: str,
    rows: Iterable[tuple[str, str, dict[str, Any]]],
    programme_id: int | None,
) -> None:
    """Append one audit event per ``(record type, record id, data)`` of one action, without a
    model object per row (``welcomematch.bulk.insert_rows``: ``COPY`` on PostgreSQL), for
    writers that create tens of thousands of records at once. Call inside the service's
    transaction."""
    actor_id = actor.pk if actor is not None and actor.is_authenticated and actor.pk else None
    ip_address = current_ip()
    insert_rows(
        AuditEvent,
        ("actor", "action", "object_type", "object_id", "data", "ip_address", "programme"),
        (
            (actor_id, action, object_type, object_id, data, ip_address, programme_id)
            for object_type, object_id, data in rows
        ),
    )


def audit_event_record(
    *,
    actor: User | None,
    action: str,
    object_type: str,
    object_id: str,
    data: dict[str, Any] | None = None,
    programme_id: int | None = None,
) -> AuditEvent:
    """Append one audit event about a record that may no longer (or not yet) exist."""
    actor_row = actor if actor is not None and actor.is_authenticated and actor.pk else None
    return AuditEvent.objects.create(
        actor=actor_row,
        action=action,
        object_type=object_type,
        object_id=object_id,
        data=data or {},
        ip_address=current_ip(),
        programme_id=programme_id,
    )


def audit_read(*, actor: User, obj: models.Model, what: str, sensitive: bool) -> AuditEvent:
    """Record that ``actor`` read ``obj``'s page or downloaded it (``what``: page or file)."""
    return audit_record(
        actor=actor,
        action="record.read" if not what.startswith("download") else "record.downloaded",
        obj=obj,
        data={"what": what, "sensitive": sensitive},
    )


#: How long audit events are kept before the retention job deletes them (days).
def audit_retention_days() -> int:
    return int(settings.AUDIT_RETENTION_DAYS)


@transaction.atomic
def audit_events_purge(*, now: datetime | None = None, dry_run: bool = False) -> int:
    """Delete the audit events older than the retention period; returns how many (would) go.

    The append-only triggers let these deletions through only while this transaction's guard
    row names the cutoff (``accounts.appendonly``); the purge itself is recorded.
    """
    cutoff = (now or timezone.now()) - timedelta(days=audit_retention_days())
    expired = AuditEvent.objects.filter(created_at__lt=cutoff)
    count = expired.count()
    if dry_run or count == 0:
        return count
    guard = AuditRetentionGuard.objects.create(cutoff=cutoff)
    expired.delete()
    guard.delete()
    audit_record(
        actor=None,
        action="audit.purged",
        obj=guard,
        data={"deleted": count, "before": cutoff.isoformat()},
    )
    return count


def user_create(
    *,
    username: str,
    password: str,
    role: Role,
    programme: Any = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    is_superuser: bool = False,
) -> User:
    """Create a login with a role; administrators also get access to the admin site."""
    user = User(
        username=username,
        role=role,
        programme=programme,
        first_name=first_name,
        last_name=last_name,
        email=email,
        is_staff=is_superuser or role == Role.ADMINISTRATOR,
        is_superuser=is_superuser,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


ERR_LANGUAGE = _("'%(code)s' is not one of the site's languages.")


@transaction.atomic
def user_set_language(*, user: User, language: str) -> User:
    """Remember the language a user chose with the switch; it is applied at every login."""
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError({"language": message(ERR_LANGUAGE, code=language)})
    before = user.language
    if before == language:
        return user
    user.language = language
    user.save(update_fields=["language"])
    audit_record(
        actor=user, action="user.language", obj=user, data={"from": before, "to": language}
    )
    return user
