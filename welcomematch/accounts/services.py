"""Writers for accounts and the audit trail."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from welcomematch.accounts.models import AuditEvent, Role, User
from welcomematch.i18n import message


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
