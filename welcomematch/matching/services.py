"""Writers for matching rounds: create, run, confirm, cancel.

A round moves through :data:`ROUND_TRANSITIONS` only; every move writes an audit event in the
same transaction. A confirmed round is immutable: its proposals became matches and control
assignments, and its stored round and result files reproduce it byte for byte.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from welcomematch import transitions
from welcomematch.accounts.models import User
from welcomematch.accounts.services import audit_record
from welcomematch.core import engine, roundfile
from welcomematch.core.errors import CoreError, InvalidInput
from welcomematch.core.model import Mechanism, Parameters, Result, Round
from welcomematch.core.validation import validate_round
from welcomematch.i18n import message
from welcomematch.intake.models import Household as HouseholdRow
from welcomematch.intake.models import WelcomeGroup
from welcomematch.lifecycle.models import Match, MatchStatus
from welcomematch.locks import serialize
from welcomematch.matching import selectors
from welcomematch.matching.models import (
    MatchingRound,
    Proposal,
    ProposalRole,
    RoundStatus,
    UnmatchedEntry,
)
from welcomematch.programmes.models import City, Programme
from welcomematch.transitions import transition
from welcomematch.trial.models import ControlAssignment

ROUND_TRANSITIONS: dict[str, frozenset[str]] = {
    RoundStatus.DRAFT: frozenset({RoundStatus.PROPOSED, RoundStatus.CANCELLED}),
    RoundStatus.PROPOSED: frozenset(
        {RoundStatus.PROPOSED, RoundStatus.CONFIRMED, RoundStatus.CANCELLED}
    ),
    RoundStatus.CONFIRMED: frozenset(),
    RoundStatus.CANCELLED: frozenset(),
}

ERR_TRANSITION = _("A round that is %(current)s cannot become %(target)s.")
ERR_NO_GROUPS = _("No group is ready to match (completed intake and a location).")
ERR_NO_HOUSEHOLDS = _("No household is ready to match (completed intake and a location).")
ERR_NOT_AVAILABLE = _(
    "%(reference)s is no longer available (matched or drawn as control since the round ran); "
    "run the round again before confirming."
)
ERR_CHANGED = _(
    "This round cannot be confirmed: %(count)s proposed pair(s) changed since it ran. Run the "
    "round again (Run again) to pair everyone as they are now, then confirm."
)
ERR_SETTINGS = _("These round settings cannot be used: %(detail)s")

#: Round settings the form has a field for: the core's error on one of them is put on that field.
SETTING_FIELDS = frozenset({"max_distance_km", "mechanism", "control_arm", "seed"})


def new_seed() -> int:
    """A fresh lottery seed (31 bits, so it is easy to read out and type in)."""
    return secrets.randbits(31)


def check_transition(*, round: MatchingRound, target: RoundStatus) -> None:
    """Refuse, with a message in words, a move the round's transition table does not allow."""
    transitions.check_transition(
        record=round, table=ROUND_TRANSITIONS, target=target, error=ERR_TRANSITION
    )


def round_changed_error(changes: Sequence[selectors.PairChange]) -> ValidationError:
    """The refusal to confirm: what changed, naming each pair, and the way out (a re-run)."""
    pairs = {(c.group, c.household) for c in changes}
    return ValidationError(
        [message(ERR_CHANGED, count=len(pairs)), *(str(c) for c in changes)], code="changed"
    )


def _transition(*, round: MatchingRound, target: RoundStatus) -> str:
    return transition(record=round, table=ROUND_TRANSITIONS, target=target, error=ERR_TRANSITION)


@transaction.atomic
def round_create(
    *,
    programme: Programme,
    name: str,
    actor: User | None,
    city: City | None = None,
    max_distance_km: float | None = None,
    mechanism: str = Mechanism.OPTIMAL.value,
    control_arm: bool = True,
    seed: int | None = None,
    groups: Sequence[WelcomeGroup] = (),
    households: Sequence[HouseholdRow] = (),
) -> MatchingRound:
    """Create a draft round; the seed is drawn now and stored, so the lottery is reproducible.

    ``groups`` / ``households`` limit the round to those participants (of the ones ready when
    it runs); empty means everyone ready in the programme (and city).
    """
    round = MatchingRound(
        programme=programme,
        city=city,
        name=name,
        max_distance_km=max_distance_km
        if max_distance_km is not None
        else programme.max_distance_km,
        mechanism=mechanism,
        control_arm=control_arm,
        seed=seed if seed is not None else new_seed(),
        created_by=actor if actor is not None and actor.pk else None,
    )
    round.full_clean()
    _check_settings(round)
    round.save()
    round.selected_groups.set(groups)
    round.selected_households.set(households)
    audit_record(
        actor=actor,
        action="round.created",
        obj=round,
        data={
            "max_distance_km": round.max_distance_km,
            "mechanism": round.mechanism,
            "control_arm": round.control_arm,
            "seed": round.seed,
            "groups": sorted(g.reference for g in groups),
            "households": sorted(h.reference for h in households),
        },
    )
    return round


def _parameters(round: MatchingRound) -> Parameters:
    return Parameters(
        max_distance_km=round.max_distance_km,
        mechanism=Mechanism(round.mechanism),
        control_arm=round.control_arm,
        seed=round.seed,
    )


def _invalid(error: InvalidInput, *, code: str) -> ValidationError:
    """The core's refusal as the service's error, on the form field it names if there is one."""
    text = message(ERR_SETTINGS if code == "settings" else selectors.ERR_ENGINE_INPUT, detail=error)
    if error.record == "parameters" and error.field in SETTING_FIELDS:
        return ValidationError({error.field: ValidationError(text, code=code)})
    return ValidationError(text, code=code)


def _check_settings(round: MatchingRound) -> None:
    """The round's settings, checked by the core's own validation (nobody is in it yet)."""
    try:
        validate_round(Round(parameters=_parameters(round), groups=(), households=()))
    except InvalidInput as error:
        raise _invalid(error, code="settings") from error


def build_core_round(*, round: MatchingRound) -> Round:
    """The engine's input: the ready groups and households of the round's programme and city
    (only the selected ones, when the round names participants)."""
    group_rows, household_rows = selectors.round_pool(round=round)
    groups = list(group_rows)
    households = list(household_rows)
    if not groups:
        raise ValidationError(ERR_NO_GROUPS, code="no_groups")
    if not households:
        raise ValidationError(ERR_NO_HOUSEHOLDS, code="no_households")
    problems = selectors.pool_problems(
        programme=round.programme, groups=len(groups), households=len(households)
    )
    if problems:
        raise ValidationError(problems, code="pool_too_small")
    excluded: dict[int, set[str]] = {}
    for household_ref, group_id in selectors.exclusions_between(
        groups=group_rows, households=household_rows
    ).values_list("household__reference", "group_id"):
        excluded.setdefault(group_id, set()).add(household_ref)
    return Round(
        parameters=_parameters(round),
        groups=tuple(
            selectors.core_group(g, exclude=frozenset(excluded.get(g.pk, set()))) for g in groups
        ),
        households=tuple(selectors.core_household(h) for h in households),
    )


def _store_result(*, round: MatchingRound, core_round: Round, result: Result) -> None:
    groups = {
        g.reference: g
        for g in WelcomeGroup.objects.filter(reference__in=[g.id for g in core_round.groups])
    }
    households = {
        h.reference: h
        for h in HouseholdRow.objects.filter(reference__in=[h.id for h in core_round.households])
    }
    round.proposals.all().delete()
    round.unmatched.all().delete()
    Proposal.objects.bulk_create(
        [
            Proposal(
                round=round,
                group=groups[pair.group],
                household=households[pair.household],
                role=role,
                distance_km=pair.distance_km,
                group_rank=pair.group_rank,
                household_rank=pair.household_rank,
            )
            for role, pairs in (
                (ProposalRole.MATCH, result.matches),
                (ProposalRole.CONTROL, result.controls),
            )
            for pair in pairs
        ]
    )
    UnmatchedEntry.objects.bulk_create(
        [
            UnmatchedEntry(
                round=round,
                side=UnmatchedEntry.Side.GROUP,
                group=groups[item.id],
                reason=item.reason.value,
                eligible_partners=item.eligible_partners,
            )
            for item in result.unmatched_groups
        ]
        + [
            UnmatchedEntry(
                round=round,
                side=UnmatchedEntry.Side.HOUSEHOLD,
                household=households[item.id],
                reason=item.reason.value,
                eligible_partners=item.eligible_partners,
            )
            for item in result.unmatched_households
        ]
    )


#: Called with a stage name ("building", "solving", "storing") as a run moves on.
Progress = Callable[[str], None]


def _no_progress(stage: str) -> None:
    """The default progress report: nobody is watching."""


def round_run(
    *, round: MatchingRound, actor: User | None, progress: Progress = _no_progress
) -> MatchingRound:
    """Run the engine over the participants ready now and store proposals and explanations.

    A proposed round may be run again (participants may have changed); the seed stays, so the
    same participants give the same result. All or nothing: on any error nothing is stored.
    The input is gathered and solved outside the storing transaction (a national round takes
    seconds to solve; holding a lock that long would block every other writer), then the
    round's status is checked again under its lock before anything is written.
    """
    progress("building")
    with transaction.atomic():
        round = MatchingRound.objects.select_for_update().get(pk=round.pk)
        _transition(round=round, target=RoundStatus.PROPOSED)
    core_round = build_core_round(round=round)
    progress("solving")
    try:
        result = engine.run_round(core_round)
    except InvalidInput as error:
        raise _invalid(error, code="engine_input") from error
    except CoreError as error:
        raise ValidationError(
            message(selectors.ERR_ENGINE_INPUT, detail=error), code="engine_failed"
        ) from error
    progress("storing")
    with transaction.atomic():
        round = MatchingRound.objects.select_for_update().get(pk=round.pk)
        previous = _transition(round=round, target=RoundStatus.PROPOSED)
        _store_result(round=round, core_round=core_round, result=result)
        round.round_file = roundfile.round_to_dict(core_round)
        round.result_file = roundfile.result_to_dict(result)
        round.engine_version = result.summary.version
        round.run_at = timezone.now()
        round.full_clean()
        round.save()
        audit_record(
            actor=actor,
            action="round.run" if previous == RoundStatus.DRAFT else "round.rerun",
            obj=round,
            data={
                "groups": result.summary.groups,
                "households": result.summary.households,
                "eligible_pairs": result.summary.eligible_pairs,
                "matched": result.summary.matched,
                "controls": result.summary.controls,
                "seed": round.seed,
                "version": result.summary.version,
            },
        )
    return round


@transaction.atomic
def round_confirm(*, round: MatchingRound, actor: User | None) -> MatchingRound:
    """Turn the proposals into matches and control assignments; the round becomes immutable."""
    round = MatchingRound.objects.select_for_update().get(pk=round.pk)
    _transition(round=round, target=RoundStatus.CONFIRMED)
    # Rounds of one programme can share participants: confirm them one after the other, so
    # the second sees the first's matches and refuses cleanly below.
    serialize(f"round-confirm:{round.programme_id}")
    changes = selectors.round_changes(round=round)
    if changes:
        raise round_changed_error(changes)
    proposals = list(round.proposals.select_related("group", "household"))
    treatment = {p.group_id: p for p in proposals if p.role == ProposalRole.MATCH}
    for proposal in proposals:
        if proposal.role == ProposalRole.MATCH:
            match = Match(
                round=round,
                group=proposal.group,
                household=proposal.household,
                status=MatchStatus.PROPOSED,
                distance_km=proposal.distance_km,
            )
            match.full_clean()
            try:
                with transaction.atomic():
                    match.save()
            except IntegrityError as error:  # an open match made meanwhile by someone else
                raise ValidationError(
                    message(ERR_NOT_AVAILABLE, reference=proposal.group.reference)
                ) from error
            audit_record(
                actor=actor,
                action="match.proposed",
                obj=match,
                data={"round": round.pk, "status": MatchStatus.PROPOSED},
            )
        else:
            control = ControlAssignment(
                round=round,
                group=proposal.group,
                household=proposal.household,
                treatment_household=treatment[proposal.group_id].household,
            )
            control.full_clean()
            control.save()
            audit_record(
                actor=actor,
                action="control.assigned",
                obj=control,
                data={"round": round.pk, "group": proposal.group.reference},
            )
    round.confirmed_at = timezone.now()
    round.save()
    audit_record(
        actor=actor,
        action="round.confirmed",
        obj=round,
        data={
            "matches": len(treatment),
            "controls": sum(1 for p in proposals if p.role == ProposalRole.CONTROL),
        },
    )
    return round


@transaction.atomic
def round_cancel(*, round: MatchingRound, actor: User | None, reason: str = "") -> MatchingRound:
    round = MatchingRound.objects.select_for_update().get(pk=round.pk)
    previous = _transition(round=round, target=RoundStatus.CANCELLED)
    round.save()
    audit_record(
        actor=actor, action="round.cancelled", obj=round, data={"from": previous, "reason": reason}
    )
    return round
