"""Invitations: a link with which a group fills in its own intake."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from welcomematch.accounts.models import User
from welcomematch.accounts.services import audit_record
from welcomematch.i18n import message
from welcomematch.intake import questions as q
from welcomematch.intake.models import GroupInvitation, RecordChange, WelcomeGroup
from welcomematch.intake.services.records import (
    _group_answers,
    _record_change,
    group_create,
    group_save_answers,
)
from welcomematch.intake.services.rules import _check
from welcomematch.programmes.models import City, Programme
from welcomematch.tokens import new_token, token_hash

#: Days an invitation link stays valid unless the coordinator chooses otherwise.
INVITATION_DAYS = 21
ERR_INVITATION_DAYS = _("An invitation is valid for 1 to 90 days.")
ERR_INVITATION_CLOSED = _("This invitation can no longer be used.")
ERR_ANSWERS_MISSING = _("Some required answers are missing: %(questions)s.")
ERR_SEND_NO_ADDRESS = _("Give the e-mail address to send the invitation link to.")


#: Invitations store their token's hash like every personal link (``welcomematch.tokens``).
invitation_token_hash = token_hash


def _new_invitation(
    *, group: WelcomeGroup, actor: User | None, days: int
) -> tuple[GroupInvitation, str]:
    if not 1 <= days <= 90:
        raise ValidationError({"days": ERR_INVITATION_DAYS})
    token = new_token()
    invitation = GroupInvitation(
        group=group,
        token_hash=invitation_token_hash(token),
        created_by=actor if actor is not None and actor.pk else None,
        expires_at=timezone.now() + timedelta(days=days),
        answers={"name": group.name} if group.name else {},
    )
    _check(invitation)
    invitation.save()
    audit_record(
        actor=actor,
        action="group.invitation_created",
        obj=group,
        data={"invitation": invitation.pk, "expires_at": invitation.expires_at.isoformat()},
    )
    return invitation, token


def invitation_link(*, base_url: str, token: str) -> str:
    """The address of an invitation: ``base_url`` (scheme and host) and the link's path."""
    return base_url.rstrip("/") + reverse("intake:welcome", args=[token])


def _send(
    *,
    invitation: GroupInvitation,
    token: str,
    send_to: str,
    language: str,
    base_url: str,
    actor: User | None,
) -> None:
    from welcomematch.notifications.selectors import group_language
    from welcomematch.notifications.services import invitation_mail

    if not send_to.strip():
        raise ValidationError({"send_to": ERR_SEND_NO_ADDRESS})
    invitation_mail(
        invitation=invitation,
        link=invitation_link(base_url=base_url, token=token),
        to=send_to.strip(),
        language=language or group_language(invitation.group),
        actor=actor,
    )


@transaction.atomic
def invitation_create(
    *,
    group: WelcomeGroup,
    actor: User | None,
    days: int = INVITATION_DAYS,
    send_to: str | None = None,
    language: str = "",
    base_url: str = "",
) -> tuple[GroupInvitation, str]:
    """A new invitation link for a group; returns the invitation and the token (shown once).
    With ``send_to`` the link is also e-mailed there (in ``language``, else the group's)."""
    invitation, token = _new_invitation(group=group, actor=actor, days=days)
    if send_to is not None:
        _send(
            invitation=invitation,
            token=token,
            send_to=send_to,
            language=language,
            base_url=base_url,
            actor=actor,
        )
    return invitation, token


ERR_REOPEN_INCOMPLETE = _(
    "%(reference)s has not finished its intake yet; send it a new invitation link instead."
)
ERR_REOPEN_WITHDRAWN = _("%(reference)s has withdrawn; undo the withdrawal first.")


@transaction.atomic
def invitation_reopen(
    *, group: WelcomeGroup, actor: User | None, days: int = INVITATION_DAYS
) -> tuple[GroupInvitation, str]:
    """A link with which a group corrects its answers after its intake: the link opens on the
    group's saved answers (its members keep their identity through the correction); other open
    links of the group are withdrawn, so there is one set of answers in progress. The group
    stays in the pool with its saved answers until it sends the corrections."""
    group = WelcomeGroup.objects.select_for_update().get(pk=group.pk)
    if group.intake_completed_at is None:
        raise ValidationError(message(ERR_REOPEN_INCOMPLETE, reference=group.reference))
    if group.withdrawn_at is not None:
        raise ValidationError(message(ERR_REOPEN_WITHDRAWN, reference=group.reference))
    for open_link in group.invitations.filter(revoked_at__isnull=True, submitted_at__isnull=True):
        if open_link.is_open:
            invitation_revoke(invitation=open_link, actor=actor)
    invitation, token = _new_invitation(group=group, actor=actor, days=days)
    invitation.answers = _group_answers(group)
    invitation.save(update_fields=["answers"])
    entry = _record_change(record=group, action=RecordChange.Action.REOPENED, actor=actor)
    audit_record(
        actor=actor,
        action="group.invitation_reopened",
        obj=group,
        data={"invitation": invitation.pk, "change": entry.pk},
    )
    return invitation, token


@transaction.atomic
def group_invite(
    *,
    programme: Programme,
    city: City,
    name: str,
    actor: User | None,
    contact_email: str = "",
    days: int = INVITATION_DAYS,
    send: bool = False,
    language: str = "",
    base_url: str = "",
) -> tuple[WelcomeGroup, GroupInvitation, str]:
    """Register a group by name and invite it to fill in its own intake; with ``send`` the
    link is e-mailed to ``contact_email`` in ``language``."""
    group = group_create(
        programme=programme,
        city=city,
        name=name,
        members=[],
        actor=actor,
        contact_email=contact_email,
    )
    invitation, token = _new_invitation(group=group, actor=actor, days=days)
    if send:
        if not contact_email.strip():
            raise ValidationError({"contact_email": ERR_SEND_NO_ADDRESS})
        _send(
            invitation=invitation,
            token=token,
            send_to=contact_email,
            language=language,
            base_url=base_url,
            actor=actor,
        )
    return group, invitation, token


@transaction.atomic
def invitation_revoke(*, invitation: GroupInvitation, actor: User | None) -> GroupInvitation:
    """Make a link unusable at once."""
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="group.invitation_revoked",
            obj=invitation.group,
            data={"invitation": invitation.pk},
        )
    return invitation


@transaction.atomic
def invitation_save_progress(
    *, invitation: GroupInvitation, step: str, answers: Mapping[str, Any]
) -> GroupInvitation:
    """Keep a group's answers between visits (merged into what was saved before)."""
    invitation = GroupInvitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        raise ValidationError(ERR_INVITATION_CLOSED, code="invitation_closed")
    invitation.answers = {**invitation.answers, **answers}
    invitation.last_step = step
    invitation.save(update_fields=["answers", "last_step"])
    return invitation


@transaction.atomic
def invitation_submit(*, invitation: GroupInvitation) -> WelcomeGroup:
    """The group's final submit: its answers become the group record; the link closes and
    forgets the saved answers (they live in the group record now)."""
    invitation = GroupInvitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        raise ValidationError(ERR_INVITATION_CLOSED, code="invitation_closed")
    missing = q.missing_answers(q.GROUP_QUESTIONNAIRE, invitation.answers)
    if missing:
        raise ValidationError(
            message(
                ERR_ANSWERS_MISSING,
                questions="; ".join(q.answer_label(q.GROUP_QUESTIONNAIRE, n) for n in missing),
            ),
            code="answers_missing",
        )
    group = invitation.group
    group = group_save_answers(
        programme=group.programme,
        city=group.city,
        answers=invitation.answers,
        actor=None,
        group=group,
    )
    invitation.submitted_at = timezone.now()
    invitation.answers = {}
    invitation.save(update_fields=["submitted_at", "answers"])
    audit_record(
        actor=None, action="group.intake_submitted", obj=group, data={"invitation": invitation.pk}
    )
    return group
