"""Audit events for what happens outside the services: logins, failed logins, lockouts, and
every change made through the Django admin site."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import post_save
from django.dispatch import receiver

from welcomematch.accounts.models import User
from welcomematch.accounts.services import audit_event_record, audit_record, programme_id_of

ADMIN_ACTIONS = {ADDITION: "admin.added", CHANGE: "admin.changed", DELETION: "admin.deleted"}


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    audit_record(actor=user, action="login.succeeded", obj=user)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: User | None, **kwargs: Any) -> None:
    if user is not None and user.pk:
        audit_record(actor=user, action="login.logged_out", obj=user)


def _attempt(action: str, username: str) -> None:
    """A failed or blocked login, against the account when it exists (with the name tried)."""
    username = username[:150]
    account = User.objects.filter(username=username).first()
    audit_event_record(
        actor=None,
        action=action,
        object_type=User._meta.label_lower,
        object_id=str(account.pk) if account else "",
        data={"username": username, "unknown_account": account is None},
        programme_id=account.programme_id if account else None,
    )


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    _attempt("login.failed", str(credentials.get("username", "")))


@receiver(user_locked_out)
def _locked_out(sender: Any, username: str, **kwargs: Any) -> None:
    _attempt("login.locked_out", str(username or ""))


@receiver(post_save, sender=LogEntry)
def _admin_change(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    """Every add, change or delete in the Django admin, with the fields it changed."""
    if not created:
        return
    model = (
        ContentType.objects.get_for_id(instance.content_type_id).model_class()
        if instance.content_type_id
        else None
    )
    obj = None
    if model is not None:
        obj = model._default_manager.filter(pk=instance.object_id).first()
    audit_event_record(
        actor=instance.user,  # type: ignore[arg-type]
        action=ADMIN_ACTIONS.get(instance.action_flag, "admin.changed"),
        object_type=model._meta.label_lower if model is not None else "unknown",
        object_id=str(instance.object_id or ""),
        data={"change": instance.get_change_message(), "name": instance.object_repr},
        programme_id=programme_id_of(obj) if obj is not None else None,
    )
