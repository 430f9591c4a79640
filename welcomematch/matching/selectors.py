"""Read-only queries for matching rounds: who is ready to match, and round contents."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from welcomematch.core import engine, roundfile
from welcomematch.core.errors import InvalidInput
from welcomematch.core.explain import PairExplanation, why_not
from welcomematch.core.model import Group, Mechanism, Parameters, Result, Round
from welcomematch.core.model import Household as CoreHousehold
from welcomematch.i18n import message
from welcomematch.intake.models import Exclusion, Household, WelcomeGroup
from welcomematch.lifecycle.models import OPEN_MATCH_STATUSES, Match, MatchStatus
from welcomematch.matching.models import MatchingRound, RoundStatus
from welcomematch.programmes.models import City, Programme
from welcomematch.trial import selectors as trial_selectors

ERR_NOT_RUN = _("This round has not run yet.")
ERR_ENGINE_INPUT = _("The round cannot run: %(detail)s")

#: The core's type of a participant whose type is not known (yet).
UNSPECIFIED_TYPE = "unspecified"


# --- ready to match: the one definition ----------------------------------------------------


def _ready_condition(*, side: str) -> Q:
    """What makes a group or household ready to match, as one condition over its rows.

    Ready to match: intake completed, a location, not withdrawn, no open match (a match that
    ended early puts both back in the pool, to be rematched), and no completed match (their
    programme year is over). Every list, the dashboard, the new-round page and the round's
    input use this one definition, through :func:`group_ready_condition`,
    :func:`household_ready_condition`, :func:`groups_ready` and :func:`households_ready`.
    """
    matches = Match.objects.filter(**{side: OuterRef("pk")})
    return Q(
        intake_completed_at__isnull=False,
        withdrawn_at__isnull=True,
        latitude__isnull=False,
        longitude__isnull=False,
    ) & ~Q(Exists(matches.filter(status__in=(*OPEN_MATCH_STATUSES, MatchStatus.COMPLETED))))


def group_ready_condition() -> Q:
    """The condition a Welcome Group row meets when it is ready to match."""
    return _ready_condition(side="group")


def household_ready_condition() -> Q:
    """The condition a household row meets when it is ready to match: as a group, and not held
    in the control arm (a control household stays there for the study period, unless an
    administrator recorded a protocol deviation; see :func:`trial.selectors.held_in_control`)."""
    return _ready_condition(side="household") & ~Q(trial_selectors.held_in_control())


def _in_place(qs: QuerySet[Any], *, programme: Programme, city: City | None) -> QuerySet[Any]:
    qs = qs.filter(programme=programme)
    return (qs.filter(city=city) if city is not None else qs).order_by("reference")


def groups_ready(*, programme: Programme, city: City | None = None) -> QuerySet[WelcomeGroup]:
    """The programme's (and city's) groups that are ready to match."""
    ready = WelcomeGroup.objects.filter(group_ready_condition())
    return _in_place(ready, programme=programme, city=city)


def households_ready(*, programme: Programme, city: City | None = None) -> QuerySet[Household]:
    """The programme's (and city's) households that are ready to match."""
    ready = Household.objects.filter(household_ready_condition())
    return _in_place(ready, programme=programme, city=city)


def round_pool(*, round: MatchingRound) -> tuple[QuerySet[WelcomeGroup], QuerySet[Household]]:
    """Who a round takes when it runs now: the ready groups and households of its programme
    and city, only the selected ones among them when the round names participants; a round
    with the control arm leaves out households that were in the trial before (they keep their
    arm, and the coin could make them a control)."""
    groups = groups_ready(programme=round.programme, city=round.city)
    households = households_ready(programme=round.programme, city=round.city)
    if round.selected_groups.exists():
        groups = groups.filter(pk__in=round.selected_groups.all())
    if round.selected_households.exists():
        households = households.filter(pk__in=round.selected_households.all())
    if round.control_arm:  # earlier trial participants keep their arm: never a control
        households = trial_selectors.control_candidates(households)
    return groups, households


# --- rows as the core's input -------------------------------------------------------------


def core_group(row: WelcomeGroup, *, exclude: frozenset[str] = frozenset()) -> Group:
    """A group as the engine sees it: its reference, location, capacity level, type, ranking."""
    return Group(
        id=row.reference,
        lat=float(row.latitude or 0.0),
        lon=float(row.longitude or 0.0),
        capacity=row.capacity_level,
        type=row.group_type or UNSPECIFIED_TYPE,
        ranking=tuple(row.ranking),
        exclude=exclude,
    )


def core_household(row: Household) -> CoreHousehold:
    """A household as the engine sees it: reference, location, vulnerability level, type, ranking."""
    return CoreHousehold(
        id=row.reference,
        lat=float(row.latitude or 0.0),
        lon=float(row.longitude or 0.0),
        vulnerability=row.vulnerability_level,
        type=row.household_type or UNSPECIFIED_TYPE,
        ranking=tuple(row.ranking),
    )


def pair_check(
    *, group: WelcomeGroup, household: Household, max_distance_km: float
) -> PairExplanation:
    """The round's hard rules for one located pair, answered by the core: the engine runs a
    round of just this pair and explains it (``matched``, ``out_of_range``, ``vulnerability``
    or ``excluded``). Read-only."""
    excluded = Exclusion.objects.filter(group=group, household=household).exists()
    one_pair = Round(
        parameters=Parameters(
            max_distance_km=max_distance_km, mechanism=Mechanism.OPTIMAL, control_arm=False
        ),
        groups=(core_group(group, exclude=frozenset({household.reference} if excluded else ())),),
        households=(core_household(household),),
    )
    try:
        return why_not(one_pair, engine.run_round(one_pair), group.reference, household.reference)
    except InvalidInput as error:
        raise ValidationError(message(ERR_ENGINE_INPUT, detail=error)) from error


def exclusions_between(
    *, groups: QuerySet[WelcomeGroup], households: QuerySet[Household]
) -> QuerySet[Exclusion]:
    return Exclusion.objects.filter(group__in=groups, household__in=households)


def rounds_for(*, rounds: QuerySet[MatchingRound]) -> QuerySet[MatchingRound]:
    """``rounds`` (already reduced to a user's scope) with what the round pages show."""
    return rounds.select_related("programme", "city", "created_by").order_by("-created_at", "-id")


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
