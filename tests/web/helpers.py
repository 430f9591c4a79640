"""Lifecycle and trial states for web tests, reached through the real services."""

from __future__ import annotations

from typing import Any

from tests.factories import PASSWORD, make_city, make_programme, make_user
from welcomematch.accounts.models import Role, User
from welcomematch.intake.models import Household, WelcomeGroup
from welcomematch.lifecycle import services as lifecycle
from welcomematch.lifecycle.models import CulturalAmbassador, Match, MatchStatus
from welcomematch.matching import services as matching
from welcomematch.programmes.models import City, Programme
from welcomematch.trial.models import ControlAssignment

ROLES = (Role.ADMINISTRATOR, Role.COORDINATOR, Role.AMBASSADOR, Role.RESEARCHER)

__all__ = ["PASSWORD", "ROLES", "make_ambassador", "make_match", "make_trial", "make_world"]


def make_ambassador(user: User, programme: Programme, name: str = "Samira") -> CulturalAmbassador:
    return CulturalAmbassador.objects.create(
        programme=programme, user=user, name=name, languages=["ar", "nl"]
    )


def advance(match: Match, status: str) -> Match:
    """Walk a proposed match through the lifecycle services to ``status``."""
    if status in (MatchStatus.ACTIVE, MatchStatus.COMPLETED):
        match = lifecycle.match_start(match=match, actor=None)
    if status == MatchStatus.INTRODUCED:
        from django.utils import timezone

        match = lifecycle.match_plan_first_meeting(match=match, when=timezone.now(), actor=None)
    if status == MatchStatus.COMPLETED:
        match = lifecycle.match_complete(match=match, actor=None)
    if status == MatchStatus.ENDED:
        match = lifecycle.match_end(match=match, reason="other", note="", actor=None)
    return match


def make_match(
    group: WelcomeGroup,
    household: Household,
    *,
    status: str = MatchStatus.PROPOSED,
    ambassador: CulturalAmbassador | None = None,
) -> Match:
    """A match made by a coordinator outside a round, then moved on to ``status``."""
    match = lifecycle.match_create(group=group, household=household, reason="test", actor=None)
    if ambassador is not None:
        match = lifecycle.match_assign_ambassador(match=match, ambassador=ambassador, actor=None)
    return advance(match, status)


def make_trial(
    group: WelcomeGroup, households: list[Household], seed: int = 42
) -> tuple[Household, Household]:
    """A confirmed round with control arm over one group and two households; returns
    (treatment, control) as the coin drew them."""
    round_ = matching.round_create(
        programme=group.programme,
        name="Ronde 1",
        actor=None,
        control_arm=True,
        seed=seed,
        groups=[group],
        households=households,
    )
    matching.round_run(round=round_, actor=None)
    matching.round_confirm(round=round_, actor=None)
    control = ControlAssignment.objects.get(round=round_)
    return control.treatment_household, control.household


def make_world() -> dict[str, Any]:
    """A programme with two cities and one user per role; the ambassador has a profile."""
    programme = make_programme()
    almere: City = make_city(programme, "Almere")
    haarlem: City = make_city(programme, "Haarlem")
    users = {role: make_user(role, programme=programme) for role in ROLES}
    ambassador = make_ambassador(users[Role.AMBASSADOR], programme)
    return {
        "programme": programme,
        "almere": almere,
        "haarlem": haarlem,
        "users": users,
        "ambassador": ambassador,
    }
