"""Read-only queries for matching rounds: who is ready to match, and round contents."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from welcomematch.core import roundfile
from welcomematch.core.errors import InvalidInput
from welcomematch.core.explain import PairExplanation, why_not
from welcomematch.core.model import Result, Round
from welcomematch.i18n import message
from welcomematch.intake.models import Exclusion, Household, WelcomeGroup
from welcomematch.lifecycle.models import Match, MatchStatus
from welcomematch.matching.models import MatchingRound, RoundStatus
from welcomematch.programmes.models import City, Programme
from welcomematch.trial import selectors as trial_selectors

ERR_NOT_RUN = _("This round has not run yet.")
ERR_ENGINE_INPUT = _("The round cannot run: %(detail)s")

OPEN_MATCH_STATUSES = (MatchStatus.PROPOSED, MatchStatus.INTRODUCED, MatchStatus.ACTIVE)


def groups_ready(*, programme: Programme, city: City | None = None) -> QuerySet[WelcomeGroup]:
    """Groups with a completed intake and a location, not withdrawn, without an open match."""
    open_match = Match.objects.filter(group=OuterRef("pk"), status__in=OPEN_MATCH_STATUSES)
    qs = WelcomeGroup.objects.filter(
        programme=programme,
        intake_completed_at__isnull=False,
        withdrawn_at__isnull=True,
        latitude__isnull=False,
        longitude__isnull=False,
    ).exclude(Exists(open_match))
    if city is not None:
        qs = qs.filter(city=city)
    return qs.order_by("reference")


def households_ready(*, programme: Programme, city: City | None = None) -> QuerySet[Household]:
    """Households ready to match: completed intake, located, not withdrawn, no open match, and
    not held in the control arm (a control household stays there for the study period).
    """
    open_match = Match.objects.filter(household=OuterRef("pk"), status__in=OPEN_MATCH_STATUSES)
    qs = Household.objects.filter(
        programme=programme,
        intake_completed_at__isnull=False,
        withdrawn_at__isnull=True,
        latitude__isnull=False,
        longitude__isnull=False,
    ).exclude(Exists(open_match) | trial_selectors.held_in_control())
    if city is not None:
        qs = qs.filter(city=city)
    return qs.order_by("reference")


def exclusions_between(
    *, groups: QuerySet[WelcomeGroup], households: QuerySet[Household]
) -> QuerySet[Exclusion]:
    return Exclusion.objects.filter(group__in=groups, household__in=households)


def rounds_for(*, programme: Programme | None = None) -> QuerySet[MatchingRound]:
    qs = MatchingRound.objects.select_related("programme", "city", "created_by")
    if programme is not None:
        qs = qs.filter(programme=programme)
    return qs.order_by("-created_at", "-id")


def rounds_open(*, programme: Programme) -> QuerySet[MatchingRound]:
    return MatchingRound.objects.filter(programme=programme).filter(
        Q(status=RoundStatus.DRAFT) | Q(status=RoundStatus.PROPOSED)
    )


def round_core_input(*, round: MatchingRound) -> Round:
    """The stored input of a round that ran, as core dataclasses (for explanations)."""
    if round.round_file is None:
        raise ValidationError(ERR_NOT_RUN)
    return roundfile.round_from_dict(round.round_file)


def round_core_result(*, round: MatchingRound) -> Result:
    if round.result_file is None:
        raise ValidationError(ERR_NOT_RUN)
    return roundfile.result_from_dict(round.result_file)


def export_round_file(*, round: MatchingRound) -> str:
    return roundfile.dumps_round(round_core_input(round=round))


def export_result_file(*, round: MatchingRound) -> str:
    return roundfile.dumps_result(round_core_result(round=round))


def round_explain_pair(
    *, round: MatchingRound, group_reference: str, household_reference: str
) -> PairExplanation:
    """Why (not) this pair: the core's explanation over the round's stored files. Read-only."""
    try:
        return why_not(
            round_core_input(round=round),
            round_core_result(round=round),
            group_reference,
            household_reference,
        )
    except InvalidInput as error:
        raise ValidationError(message(ERR_ENGINE_INPUT, detail=error)) from error
