"""Read-only queries for matching rounds: who is ready to match, and round contents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from welcomematch.core import engine, roundfile
from welcomematch.core.errors import InvalidInput
from welcomematch.core.explain import PairExplanation, why_not
from welcomematch.core.geo import haversine_km_array
from welcomematch.core.model import Group, Mechanism, Parameters, Result, Round
from welcomematch.core.model import Household as CoreHousehold
from welcomematch.i18n import message
from welcomematch.intake.models import Exclusion, Household, WelcomeGroup
from welcomematch.lifecycle.models import OPEN_MATCH_STATUSES, Match, MatchStatus
from welcomematch.matching.models import AdjustmentKind, MatchingRound, ProposalRole, RoundStatus
from welcomematch.programmes.models import City, Programme
from welcomematch.trial import selectors as trial_selectors
from welcomematch.trial.models import ControlAssignment

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


# --- pool rules: the minimum pool of a round, per programme -------------------------------

ERR_POOL_GROUPS = _(
    "Only %(groups)s group(s) are ready to match; this programme runs a round with at least "
    "%(minimum)s groups."
)
ERR_POOL_HOUSEHOLDS = _(
    "%(households)s household(s) for %(groups)s group(s) are ready to match; this programme runs "
    "a round only with more households than groups."
)
POOL_RULE_GROUPS = _("at least %(minimum)s groups")
POOL_RULE_HOUSEHOLDS = _("more households than groups")


def pool_problems(*, programme: Programme, groups: int, households: int) -> list[str]:
    """Why a pool of ``groups`` and ``households`` is too small for a round of ``programme``,
    in words (empty: it may run). The one rule behind the new-round page and the run."""
    problems = []
    if groups < programme.round_min_groups:
        problems.append(message(ERR_POOL_GROUPS, groups=groups, minimum=programme.round_min_groups))
    if programme.round_more_households_than_groups and households <= groups:
        problems.append(message(ERR_POOL_HOUSEHOLDS, groups=groups, households=households))
    return problems


def pool_rule_words(*, programme: Programme) -> list[str]:
    """The programme's minimum pool in words, for the new-round page."""
    words = [message(POOL_RULE_GROUPS, minimum=programme.round_min_groups)]
    if programme.round_more_households_than_groups:
        words.append(str(POOL_RULE_HOUSEHOLDS))
    return words


# --- rows as the core's input -------------------------------------------------------------


def _core_group(
    reference: str,
    latitude: float | None,
    longitude: float | None,
    capacity: int,
    group_type: str,
    ranking: list[str],
    exclude: frozenset[str] = frozenset(),
) -> Group:
    return Group(
        id=reference,
        lat=float(latitude or 0.0),
        lon=float(longitude or 0.0),
        capacity=int(capacity),
        type=group_type or UNSPECIFIED_TYPE,
        ranking=tuple(ranking),
        exclude=exclude,
    )


def _core_household(
    reference: str,
    latitude: float | None,
    longitude: float | None,
    vulnerability: int,
    household_type: str,
    ranking: list[str],
    exclude: frozenset[str] = frozenset(),
) -> CoreHousehold:
    return CoreHousehold(
        id=reference,
        lat=float(latitude or 0.0),
        lon=float(longitude or 0.0),
        vulnerability=int(vulnerability),
        type=household_type or UNSPECIFIED_TYPE,
        ranking=tuple(ranking),
        exclude=exclude,
    )


def core_group(row: WelcomeGroup, *, exclude: frozenset[str] = frozenset()) -> Group:
    """A group as the engine sees it: its reference, location, capacity level, type, ranking."""
    return _core_group(
        row.reference,
        row.latitude,
        row.longitude,
        row.capacity_level,
        row.group_type,
        row.ranking,
        exclude,
    )


def core_household(row: Household) -> CoreHousehold:
    """A household as the engine sees it: reference, location, vulnerability level, type, ranking."""
    return _core_household(
        row.reference,
        row.latitude,
        row.longitude,
        row.vulnerability_level,
        row.household_type,
        row.ranking,
    )


@dataclass(frozen=True)
class CorePool:
    """A round's pool as the core's input, with the database ids of its participants."""

    groups: tuple[Group, ...]
    households: tuple[CoreHousehold, ...]
    group_pk: dict[str, int]
    household_pk: dict[str, int]


def round_core_pool(*, round: MatchingRound) -> CorePool:
    """The round's pool (:func:`round_pool`) as core dataclasses, set-based: one query a side
    (columns only, the levels with their overrides computed by the database) and one for the
    exclusions between them, by ids. The same groups and households, in the same order, as
    :func:`core_group`/:func:`core_household` over the rows would give."""
    group_rows, household_rows = round_pool(round=round)
    group_values = list(
        group_rows.annotate(level=WelcomeGroup.capacity_level.expression()).values_list(
            "pk", "reference", "latitude", "longitude", "level", "group_type", "ranking"
        )
    )
    household_values = list(
        household_rows.annotate(level=Household.vulnerability_level.expression()).values_list(
            "pk", "reference", "latitude", "longitude", "level", "household_type", "ranking"
        )
    )
    household_ref = {pk: values[0] for pk, *values in household_values}
    excluded: dict[int, set[str]] = {}
    # By group only, the households kept here: filtering by both sides in SQL made SQLite probe
    # every group x household combination (50 million at region size, over a minute).
    for group_id, household_id in Exclusion.objects.filter(
        group__in=group_rows.values("pk")
    ).values_list("group_id", "household_id"):
        if household_id in household_ref:
            excluded.setdefault(group_id, set()).add(household_ref[household_id])
    # The coordinator's adjustments, carried by the round file itself (docs/round-format.md):
    # left out = not in the file; forbidden = an exclusion; locked = each other's only option.
    left_out: set[str] = set()
    forbidden: dict[str, set[str]] = {}
    locked: dict[str, str] = {}
    for kind, g_ref, h_ref in round.adjustments.values_list(
        "kind", "group__reference", "household__reference"
    ):
        if kind == AdjustmentKind.LEAVE_OUT:
            left_out.add(g_ref or h_ref)
        elif kind == AdjustmentKind.FORBID:
            forbidden.setdefault(g_ref, set()).add(h_ref)
        else:
            locked[g_ref] = h_ref
    group_values = [v for v in group_values if v[1] not in left_out]
    household_values = [v for v in household_values if v[1] not in left_out]
    group_refs = frozenset(v[1] for v in group_values)
    household_refs = frozenset(v[1] for v in household_values)
    locked = {g: h for g, h in locked.items() if g in group_refs and h in household_refs}
    locked_households = {h: g for g, h in locked.items()}

    def group_exclude(pk: int, ref: str) -> frozenset[str]:
        if ref in locked:
            return household_refs - {locked[ref]}
        return frozenset((excluded.get(pk, set()) | forbidden.get(ref, set())) & household_refs)

    def household_exclude(ref: str) -> frozenset[str]:
        if ref in locked_households:
            return group_refs - {locked_households[ref]}
        return frozenset()

    return CorePool(
        groups=tuple(
            _core_group(ref, lat, lon, level, kind, ranking, group_exclude(pk, ref))
            for pk, ref, lat, lon, level, kind, ranking in group_values
        ),
        households=tuple(
            _core_household(ref, lat, lon, level, kind, ranking, household_exclude(ref))
            for _pk, ref, lat, lon, level, kind, ranking in household_values
        ),
        group_pk={values[1]: values[0] for values in group_values},
        household_pk={values[1]: values[0] for values in household_values},
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


# --- confirm re-checks every proposed pair --------------------------------------------------

CHANGE_WITHDRAWN = _("%(who)s has withdrawn from the programme.")
CHANGE_INTAKE = _("%(who)s's intake is no longer complete.")
CHANGE_NO_LOCATION = _("%(who)s no longer has a known location.")
CHANGE_MATCHED = _("%(who)s has been matched since the round ran (%(round)s).")
CHANGE_CONTROL = _(
    "%(who)s has been drawn as a control household since the round ran (%(round)s), so it "
    "stays in the control group."
)
CHANGE_VULNERABILITY = _(
    "%(household)s now needs support level %(vulnerability)s, more than the level %(capacity)s "
    "%(group)s can give."
)
CHANGE_DISTANCE = _(
    "%(group)s and %(household)s now live %(distance)s km apart, more than this round's "
    "maximum of %(limit)s km."
)
CHANGE_EXCLUDED = _("%(group)s and %(household)s are now excluded from each other.")
CHANGE_ARM = _(
    "%(household)s has been in the trial since the round ran and keeps its arm, so it cannot "
    "become a control."
)
CHANGE_PAIR = _("%(group)s – %(household)s: %(change)s")
CHANGE_ADJUSTED = _(
    "adjusted since the round ran (%(kind)s); run the round again so the adjustment takes effect."
)


@dataclass(frozen=True)
class PairChange:
    """Why one proposed pair of a round may not be confirmed any more, in words."""

    group: str
    household: str
    role: str
    text: str

    def __str__(self) -> str:
        return str(
            message(CHANGE_PAIR, group=self.group, household=self.household, change=self.text)
        )


def _why_not_ready(row: WelcomeGroup | Household, *, side: str) -> str:
    """In words, why a participant of a proposed pair is not ready to match any more."""
    who = row.reference
    if row.withdrawn_at is not None:
        return message(CHANGE_WITHDRAWN, who=who)
    if row.intake_completed_at is None:
        return message(CHANGE_INTAKE, who=who)
    if row.latitude is None or row.longitude is None:
        return message(CHANGE_NO_LOCATION, who=who)
    if side == "household":
        control = (
            ControlAssignment.objects.filter(household_id=row.pk).select_related("round").first()
        )
        if control is not None:
            return message(CHANGE_CONTROL, who=who, round=control.round.name)
    match = (
        Match.objects.filter(**{side: row})
        .filter(status__in=(*OPEN_MATCH_STATUSES, MatchStatus.COMPLETED))
        .select_related("round")
        .first()
    )
    round_name = match.round.name if match is not None and match.round is not None else "–"
    return message(CHANGE_MATCHED, who=who, round=round_name)


def round_changes(*, round: MatchingRound) -> list[PairChange]:
    """Every proposed pair of ``round`` checked again against the data as it is now.

    The one re-check behind both the warning on the review page and the refusal to confirm:
    both participants still ready to match (not withdrawn, intake complete, located, no open or
    completed match, the household not drawn as a control in the meantime), the household's
    vulnerability (override included) within the group's capacity (override included), the
    distance between their current locations within the round's maximum (the core's haversine,
    bit for bit), and no exclusion between them. Set-based: a few queries for the whole round.
    Read-only; an empty list means the round may be confirmed as it stands.
    """
    adjusted = [
        PairChange(
            g_ref or "–",
            h_ref or "–",
            "",
            message(CHANGE_ADJUSTED, kind=AdjustmentKind(kind).label),
        )
        for kind, g_ref, h_ref in round.adjustments.filter(
            created_at__gt=round.run_at or round.created_at
        ).values_list("kind", "group__reference", "household__reference")
    ]
    proposals = list(
        round.proposals.order_by("group__reference", "role").values_list(
            "group_id", "household_id", "role", "group__reference", "household__reference"
        )
    )
    if not proposals:
        return adjusted
    proposed_groups = round.proposals.values("group_id")
    proposed_households = round.proposals.values("household_id")
    groups = {
        pk: (lat, lon, level)
        for pk, lat, lon, level in WelcomeGroup.objects.filter(pk__in=proposed_groups)
        .annotate(level=WelcomeGroup.capacity_level.expression())
        .values_list("pk", "latitude", "longitude", "level")
    }
    households = {
        pk: (lat, lon, level)
        for pk, lat, lon, level in Household.objects.filter(pk__in=proposed_households)
        .annotate(level=Household.vulnerability_level.expression())
        .values_list("pk", "latitude", "longitude", "level")
    }
    ready_groups = set(
        groups_ready(programme=round.programme, city=round.city)
        .filter(pk__in=proposed_groups)
        .values_list("pk", flat=True)
    )
    ready_households = set(
        households_ready(programme=round.programme, city=round.city)
        .filter(pk__in=proposed_households)
        .values_list("pk", flat=True)
    )
    excluded = set(
        # By group only (see round_core_pool): only the proposed pairs are looked up in it.
        Exclusion.objects.filter(group_id__in=proposed_groups).values_list(
            "group_id", "household_id"
        )
    )
    control_candidates = set(
        trial_selectors.control_candidates(
            Household.objects.filter(pk__in=proposed_households)
        ).values_list("pk", flat=True)
    )
    located = [
        i
        for i, (g, h, *_rest) in enumerate(proposals)
        if None not in groups[g][:2] and None not in households[h][:2]
    ]
    distance = dict(
        zip(
            located,
            haversine_km_array(
                np.array([groups[proposals[i][0]][0] for i in located], dtype=np.float64),
                np.array([groups[proposals[i][0]][1] for i in located], dtype=np.float64),
                np.array([households[proposals[i][1]][0] for i in located], dtype=np.float64),
                np.array([households[proposals[i][1]][1] for i in located], dtype=np.float64),
            ).tolist(),
            strict=True,
        )
    )
    changes: list[PairChange] = []
    not_ready: dict[tuple[str, int], str] = {}

    def reason(side: str, pk: int) -> str:
        if (side, pk) not in not_ready:
            model = WelcomeGroup if side == "group" else Household
            not_ready[side, pk] = _why_not_ready(model.objects.get(pk=pk), side=side)
        return not_ready[side, pk]

    for i, (g, h, role, g_ref, h_ref) in enumerate(proposals):
        texts = []
        if g not in ready_groups:
            texts.append(reason("group", g))
        if h not in ready_households:
            texts.append(reason("household", h))
        capacity, vulnerability = groups[g][2], households[h][2]
        if vulnerability > capacity:
            texts.append(
                message(
                    CHANGE_VULNERABILITY,
                    household=h_ref,
                    group=g_ref,
                    vulnerability=vulnerability,
                    capacity=capacity,
                )
            )
        if i in distance and distance[i] > round.max_distance_km:
            texts.append(
                message(
                    CHANGE_DISTANCE,
                    group=g_ref,
                    household=h_ref,
                    distance=f"{distance[i]:.1f}",
                    limit=f"{round.max_distance_km:g}",
                )
            )
        if (g, h) in excluded:
            texts.append(message(CHANGE_EXCLUDED, group=g_ref, household=h_ref))
        if role == ProposalRole.CONTROL and h not in control_candidates:
            texts.append(message(CHANGE_ARM, household=h_ref))
        changes.extend(PairChange(g_ref, h_ref, role, text) for text in texts)
    return changes + adjusted


# --- what if: a round's result next to its variants ----------------------------------------


@dataclass(frozen=True)
class Outcome:
    """The figures a coordinator compares between a round's result and a variant's."""

    label: str
    max_distance_km: float
    mechanism: str
    control_arm: bool
    pairs: int
    controls: int
    matched_groups: int
    matched_households: int
    mean_distance_km: float | None
    max_pair_distance_km: float | None
    first_choice_share: float | None
    gains: tuple[str, ...]
    losses: tuple[str, ...]
    variant_id: int | None = None


def _partnered(result_file: dict[str, Any]) -> set[str]:
    """Groups and households of a result that have a partner (a match, not a control)."""
    return {m["group"] for m in result_file["matches"]} | {
        m["household"] for m in result_file["matches"]
    }


def outcome(
    *,
    label: str,
    parameters: dict[str, Any],
    result_file: dict[str, Any],
    compared_with: dict[str, Any] | None = None,
    variant_id: int | None = None,
) -> Outcome:
    """A result's figures: pairs, controls, matched groups and households, mean and maximum
    distance of the pairs, the share of matched participants (both sides) who got their first
    choice, and who gains or loses a partner compared with ``compared_with`` (the round)."""
    matches = result_file["matches"]
    distances = [m["distance_km"] for m in matches]
    firsts = sum((m["group_rank"] == 0) + (m["household_rank"] == 0) for m in matches)
    mine = _partnered(result_file)
    theirs = _partnered(compared_with) if compared_with is not None else mine
    return Outcome(
        label=label,
        max_distance_km=float(parameters["max_distance_km"]),
        mechanism=str(parameters["mechanism"]),
        control_arm=bool(parameters["control_arm"]),
        pairs=len(matches),
        controls=len(result_file["controls"]),
        matched_groups=len({m["group"] for m in matches}),
        matched_households=len({m["household"] for m in matches}),
        mean_distance_km=sum(distances) / len(distances) if distances else None,
        max_pair_distance_km=max(distances) if distances else None,
        first_choice_share=firsts / (2 * len(matches)) if matches else None,
        gains=tuple(sorted(mine - theirs)),
        losses=tuple(sorted(theirs - mine)),
        variant_id=variant_id,
    )


def round_outcomes(*, round: MatchingRound) -> list[Outcome]:
    """The round's stored result, then each of its variants, compared with the round."""
    if round.result_file is None:
        return []
    base = round.result_file
    rows = [outcome(label=str(_("This round")), parameters=base["parameters"], result_file=base)]
    for number, variant in enumerate(round.variants.all(), start=1):
        rows.append(
            outcome(
                label=message(VARIANT_LABEL, number=number),
                parameters=variant.result_file["parameters"],
                result_file=variant.result_file,
                compared_with=base,
                variant_id=variant.pk,
            )
        )
    return rows


VARIANT_LABEL = _("Variant %(number)s")


@dataclass(frozen=True)
class ExclusionCause:
    """Why a pair was excluded from a round: ``kind`` is ``"forbidden"`` (the coordinator
    forbade the pair for this round), ``"kept"`` (the coordinator kept one of them with
    ``other`` for this round) or ``"exclusion"`` (a standing exclusion, e.g. an earlier match
    between them that ended); ``reason`` is the written reason."""

    kind: str
    reason: str
    other: str = ""


def pair_exclusion_cause(
    *, round: MatchingRound, group_reference: str, household_reference: str
) -> ExclusionCause | None:
    """The cause of a pair's exclusion in ``round``: the round's own adjustments first, then a
    standing exclusion; ``None`` when nothing excludes the pair."""
    adjustments = round.adjustments.select_related("group", "household")
    forbid = adjustments.filter(
        kind=AdjustmentKind.FORBID,
        group__reference=group_reference,
        household__reference=household_reference,
    ).first()
    if forbid is not None:
        return ExclusionCause(kind="forbidden", reason=forbid.reason)
    for lock in adjustments.filter(kind=AdjustmentKind.LOCK):
        assert lock.group is not None and lock.household is not None
        if lock.group.reference == group_reference and lock.household.reference != (
            household_reference
        ):
            return ExclusionCause(kind="kept", reason=lock.reason, other=lock.household.reference)
        if lock.household.reference == household_reference and lock.group.reference != (
            group_reference
        ):
            return ExclusionCause(kind="kept", reason=lock.reason, other=lock.group.reference)
    exclusion = Exclusion.objects.filter(
        group__reference=group_reference,
        group__programme=round.programme,
        household__reference=household_reference,
    ).first()
    if exclusion is not None:
        return ExclusionCause(kind="exclusion", reason=exclusion.reason)
    return None
