"""Who is told what: recipients, their languages, and what a coordinator's digest lists."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q, QuerySet

from welcomematch.accounts.models import Role, User
from welcomematch.intake.models import Household, WelcomeGroup
from welcomematch.lifecycle.models import CulturalAmbassador, Match, MatchStatus
from welcomematch.mail.models import OutgoingMessage
from welcomematch.matching.models import MatchingRound, ProposalRole
from welcomematch.programmes.models import Programme
from welcomematch.surveys.services import respondent_language


def group_language(group: WelcomeGroup) -> str:
    """A group is written to as its members are surveyed (the one rule of the surveys)."""
    return respondent_language(side="group_member", household=None, languages=group.languages)


def household_language(household: Household) -> str:
    """A household is written to as it is surveyed: Dutch from B1, else English if spoken."""
    return respondent_language(side="newcomer", household=household, languages=household.languages)


def user_language(user: User | None) -> str:
    """A user's remembered language (chosen with the language switch), else the site's."""
    if user is not None and user.language:
        return user.language
    return str(settings.LANGUAGE_CODE)


def ambassador_language(ambassador: CulturalAmbassador) -> str:
    return user_language(ambassador.user)


def coordinators_of(*, programme_id: int, city_id: int | None) -> QuerySet[User]:
    """Active coordinators of the programme with an e-mail address who see ``city_id`` (those
    restricted to some cities only for theirs; ``None``: all coordinators)."""
    qs = User.objects.filter(
        role=Role.COORDINATOR, programme_id=programme_id, is_active=True
    ).exclude(email="")
    if city_id is not None:
        qs = qs.filter(Q(cities__isnull=True) | Q(cities=city_id))
    return qs.distinct().order_by("pk")


def user_city_names(user: User) -> set[str] | None:
    """The names of the cities a coordinator is restricted to (``None``: every city)."""
    programme_id = user.programme_id
    if programme_id is None:
        return None
    names = set(user.cities.filter(programme_id=programme_id).values_list("name", flat=True))
    return names or None


@dataclass(frozen=True)
class ProposalReach:
    """Who a round's confirmation reaches by e-mail, and whom the coordinator must tell."""

    groups_mailed: int = 0
    households_mailed: int = 0
    unreached: list[str] = field(default_factory=list)


def round_proposal_reach(*, round: MatchingRound) -> ProposalReach:
    """For the confirm page: the groups and households of the round's proposed matches that
    get a message, and those without an e-mail address (by reference). Control households are
    not told anything (see docs/notifications.md)."""
    rows = round.proposals.filter(role=ProposalRole.MATCH).values_list(
        "group__reference",
        "group__contact_email",
        "household__reference",
        "household__contact_email",
    )
    groups = households = 0
    unreached: list[str] = []
    for group_ref, group_email, household_ref, household_email in rows.order_by("group__reference"):
        if group_email:
            groups += 1
        else:
            unreached.append(group_ref)
        if household_email:
            households += 1
        else:
            unreached.append(household_ref)
    return ProposalReach(groups_mailed=groups, households_mailed=households, unreached=unreached)


def unanswered_proposals(*, programme: Programme) -> QuerySet[Match]:
    """Matches still only proposed (no first meeting planned yet), oldest first, with the
    notices of their proposal (to see whom nobody could e-mail)."""
    return (
        Match.objects.filter(household__programme=programme, status=MatchStatus.PROPOSED)
        .select_related("group", "household", "household__city")
        .prefetch_related("notices")
        .order_by("proposed_at", "pk")
    )


def failed_mail(
    *, matches: list[int], groups: list[int], households: list[int]
) -> QuerySet[OutgoingMessage]:
    """Messages about these records that could not be delivered (still queued with an error)."""
    about = (
        Q(object_type="lifecycle.match", object_id__in=[str(pk) for pk in matches])
        | Q(object_type="intake.welcomegroup", object_id__in=[str(pk) for pk in groups])
        | Q(object_type="intake.household", object_id__in=[str(pk) for pk in households])
    )
    return OutgoingMessage.objects.filter(about, sent_at__isnull=True).exclude(last_error="")
