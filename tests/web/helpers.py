"""Lifecycle and trial states for web tests.

``welcomematch.lifecycle`` and ``welcomematch.trial`` have no services yet, so these helpers
write ``Match`` and ``ControlAssignment`` rows directly. Replace them with ``match_create`` /
``match_start`` / ``round_confirm`` once those services exist.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from tests.factories import PASSWORD, make_city, make_programme, make_user
from welcomematch.accounts.models import Role, User
from welcomematch.intake.models import Household, WelcomeGroup
from welcomematch.lifecycle.models import CulturalAmbassador, Match, MatchStatus
from welcomematch.matching.models import MatchingRound
from welcomematch.programmes.models import City, Programme
from welcomematch.trial.models import ControlAssignment

ROLES = (Role.ADMINISTRATOR, Role.COORDINATOR, Role.AMBASSADOR, Role.RESEARCHER)

__all__ = ["PASSWORD", "ROLES", "make_ambassador", "make_control", "make_match", "make_world"]


def make_ambassador(user: User, programme: Programme, name: str = "Samira") -> CulturalAmbassador:
    return CulturalAmbassador.objects.create(
        programme=programme, user=user, name=name, languages=["ar", "nl"]
    )


def make_match(
    group: WelcomeGroup,
    household: Household,
    *,
    status: str = MatchStatus.PROPOSED,
    ambassador: CulturalAmbassador | None = None,
) -> Match:
    now = timezone.now()
    return Match.objects.create(
        group=group,
        household=household,
        status=status,
        ambassador=ambassador,
        distance_km=1.2,
        started_at=now if status in (MatchStatus.ACTIVE, MatchStatus.ENDED) else None,
        ended_at=now if status in (MatchStatus.ENDED, MatchStatus.COMPLETED) else None,
    )


def make_control(
    group: WelcomeGroup, control: Household, treatment: Household
) -> ControlAssignment:
    round_ = MatchingRound.objects.create(
        programme=group.programme, name="Ronde 1", seed=42, status="confirmed"
    )
    return ControlAssignment.objects.create(
        round=round_, group=group, household=control, treatment_household=treatment
    )


def make_world() -> dict[str, Any]:
    """A programme with two cities and one user per role; the ambassador has a profile."""
    programme = make_programme()
    almere: City = make_city(programme, "Almere")
    haarlem: City = make_city(programme, "Haarlem")
    users = {role: make_user(role) for role in ROLES}
    ambassador = make_ambassador(users[Role.AMBASSADOR], programme)
    return {
        "programme": programme,
        "almere": almere,
        "haarlem": haarlem,
        "users": users,
        "ambassador": ambassador,
    }
