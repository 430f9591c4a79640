"""Writers for accounts and the audit trail."""

from __future__ import annotations

from typing import Any

from django.db import models

from welcomematch.accounts.models import AuditEvent, Role, User


def audit_record(
    *, actor: User | None, action: str, obj: models.Model, data: dict[str, Any] | None = None
) -> AuditEvent:
    """Append one audit event for ``obj``; call inside the service's own transaction."""
    actor_row = actor if actor is not None and actor.is_authenticated and actor.pk else None
    return AuditEvent.objects.create(
        actor=actor_row,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        data=data or {},
    )


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
