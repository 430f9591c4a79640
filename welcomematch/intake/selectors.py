"""Read-only queries for intake."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from welcomematch.accounts import scope
from welcomematch.core.geo import haversine_km
from welcomematch.i18n import message
from welcomematch.intake.models import (
    GroupInvitation,
    Household,
    ImportRun,
    Postcode,
    RecordChange,
    WelcomeGroup,
)
from welcomematch.intake.services import geocode_postcode, invitation_token_hash
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


# --- a postcode outside the chosen city ----------------------------------------------------

#: Without a municipality for the postcode, an address this far from the city's centre is
#: flagged (a city of the programme is a municipality; the largest Dutch ones span ~20 km).
FAR_FROM_CITY_KM = 20.0
WARN_OTHER_MUNICIPALITY = _(
    "Postcode %(postcode)s lies in %(municipality)s, not in %(city)s. Check the postcode or "
    "the city."
)
WARN_FAR_FROM_CITY = _(
    "This address lies %(distance)s km from the centre of %(city)s. Check the postcode or the city."
)


def _municipality_name(name: str) -> str:
    """A GeoNames municipality (admin2) name without "Gemeente" / "Municipality": "Gemeente
    Den Haag" and "Rotterdam Municipality" become "Den Haag" and "Rotterdam"."""
    return " ".join(w for w in name.split() if w.casefold() not in {"gemeente", "municipality"})


def location_warning(record: WelcomeGroup | Household) -> str:
    """The one rule for "this address is outside the chosen city": the postcode's municipality
    (GeoNames admin2 name) is another one than the city; without a known municipality, the
    address lies more than :data:`FAR_FROM_CITY_KM` from the city's centre. A warning, not a
    refusal: empty when nothing is wrong or nothing can be told."""
    city = record.city
    if city is None:
        return ""
    if record.postcode:
        try:
            postcode: Postcode | None = geocode_postcode(
                record.postcode, country=record.programme.country or "NL"
            )
        except ValidationError:
            postcode = None
        if postcode is not None and postcode.municipality:
            municipality = _municipality_name(postcode.municipality)
            if municipality.casefold() != _municipality_name(city.name).casefold():
                return message(
                    WARN_OTHER_MUNICIPALITY,
                    postcode=record.postcode,
                    municipality=municipality,
                    city=city.name,
                )
            return ""
    if None in (record.latitude, record.longitude, city.latitude, city.longitude):
        return ""
    distance = haversine_km(
        float(record.latitude),  # type: ignore[arg-type]
        float(record.longitude),  # type: ignore[arg-type]
        float(city.latitude),  # type: ignore[arg-type]
        float(city.longitude),  # type: ignore[arg-type]
    )
    if distance > FAR_FROM_CITY_KM:
        return message(WARN_FAR_FROM_CITY, distance=f"{distance:.0f}", city=city.name)
    return ""


def withdrawal_of(record: WelcomeGroup | Household) -> RecordChange | None:
    """The change that withdrew ``record`` (with its reason), or None when it takes part."""
    if record.withdrawn_at is None:
        return None
    return record.changes.filter(action=RecordChange.Action.WITHDRAWN).first()
