"""Read-only queries for intake."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from welcomematch.accounts import scope
from welcomematch.intake.models import GroupInvitation, Household, ImportRun, Postcode, WelcomeGroup
from welcomematch.intake.services import invitation_token_hash
from welcomematch.programmes.models import Programme


@dataclass(frozen=True)
class InvitationRefused(Exception):
    """Why a link cannot be used, with the HTTP status the page answers."""

    reason: str
    status: int

    @property
    def message(self) -> str:
        return str(REFUSALS[self.reason])


REFUSALS = {
    "unknown": _("This invitation link does not exist. Check that you copied the whole link."),
    "expired": _("This invitation link has expired. Ask your coordinator for a new link."),
    "revoked": _("This invitation link was withdrawn by the coordinator. Ask for a new link."),
    "submitted": _(
        "Your group's intake was already sent. Thank you! Your coordinator will contact you."
    ),
}


def invitation_for_token(token: str) -> GroupInvitation:
    """The invitation a token opens; raises :class:`InvitationRefused` when it cannot be used."""
    digest = invitation_token_hash(token)
    invitation = (
        GroupInvitation.objects.select_related("group", "group__programme", "group__city")
        .filter(token_hash=digest)
        .first()
    )
    if invitation is None or not hmac.compare_digest(invitation.token_hash, digest):
        raise InvitationRefused("unknown", 404)
    if not invitation.is_open:
        raise InvitationRefused(invitation.state.value, 410)
    return invitation


def groups_for_intake(*, user: object) -> QuerySet[WelcomeGroup]:
    """The groups of ``user``'s scope, newest first."""
    return scope.visible_groups(user).select_related("city").order_by("-created_at")


def households_for_intake(*, user: object) -> QuerySet[Household]:
    """The households of ``user``'s scope, newest first."""
    return scope.visible_households(user).select_related("city").order_by("-created_at")


def import_runs(programme: Programme) -> QuerySet[ImportRun]:
    return ImportRun.objects.filter(programme=programme).order_by("-created_at")


def postcode_table_loaded(country: str = "NL") -> bool:
    return Postcode.objects.filter(country=country).exists()
