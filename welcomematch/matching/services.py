"""Writers for matching rounds: create, run, confirm, cancel.

A round moves through :data:`ROUND_TRANSITIONS` only; every move writes an audit event in the
same transaction. A confirmed round is immutable: its proposals became matches and control
assignments, and its stored round and result files reproduce it byte for byte.
"""

from __future__ import annotations

import dataclasses
import math
import secrets
from collections.abc import Callable, Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from welcomematch import transitions
from welcomematch.accounts.models import User
from welcomematch.accounts.services import audit_record, audit_record_rows
from welcomematch.bulk import insert_rows
from welcomematch.core import engine, roundfile
from welcomematch.core.audit import ParticipantChance, audit_lottery, summarise
from welcomematch.core.errors import CoreError, InvalidInput
from welcomematch.core.explain import PairVerdict
from welcomematch.core.model import Mechanism, Parameters, Result, Round
from welcomematch.core.validation import validate_round
from welcomematch.i18n import message
from welcomematch.intake.models import Household as HouseholdRow
from welcomematch.intake.models import WelcomeGroup
from welcomematch.lifecycle.models import Match, MatchStatus
from welcomematch.locks import serialize
from welcomematch.matching import selectors
from welcomematch.matching.models import (
    AdjustmentKind,
    MatchingRound,
    Proposal,
    ProposalRole,
    RoundAdjustment,
    RoundLotteryAudit,
    RoundStatus,
    RoundVariant,
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

#: The largest maximum distance a round may use. The round-file contract only asks for a
#: distance above 0; a Welcome Group meets its household every week, so beyond this "nearby"
#: means nothing and a larger number is a typing mistake.
MAX_ROUND_DISTANCE_KM = 100.0
ERR_DISTANCE_RANGE = _(
    "The maximum distance must be more than 0 km and at most %(limit)s km (not %(value)s)."
)

#: Round settings the form has a field for: the core's error on one of them is put on that field.
SETTING_FIELDS = frozenset({"max_distance_km", "mechanism", "control_arm", "seed"})


#: The round's stored files: megabytes at national size, not read where they are not needed.
_FILES = ("round_file", "result_file")


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


def check_max_distance(max_distance_km: float) -> None:
    """A round's maximum distance lies in (0, :data:`MAX_ROUND_DISTANCE_KM`] km."""
    if not (
        isinstance(max_distance_km, int | float)
        and math.isfinite(max_distance_km)
        and 0 < max_distance_km <= MAX_ROUND_DISTANCE_KM
    ):
        raise ValidationError(
            {
                "max_distance_km": ValidationError(
                    message(
                        ERR_DISTANCE_RANGE,
                        limit=f"{MAX_ROUND_DISTANCE_KM:g}",
                        value=f"{max_distance_km:g}"
                        if isinstance(max_distance_km, int | float)
                        else max_distance_km,
                    ),
                    code="settings",
                )
            }
        )


def _check_settings(round: MatchingRound) -> None:
    """The round's settings: the product's distance range, then the core's own validation
    (nobody is in it yet)."""
    check_max_distance(round.max_distance_km)
    try:
        validate_round(Round(parameters=_parameters(round), groups=(), households=()))
    except InvalidInput as error:
        raise _invalid(error, code="settings") from error


def _core_input(*, round: MatchingRound) -> tuple[Round, selectors.CorePool]:
    """The engine's input and the database ids of its participants; the pool rules checked."""
    pool = selectors.round_core_pool(round=round)
    if not pool.groups:
        raise ValidationError(ERR_NO_GROUPS, code="no_groups")
    if not pool.households:
        raise ValidationError(ERR_NO_HOUSEHOLDS, code="no_households")
    problems = selectors.pool_problems(
        programme=round.programme, groups=len(pool.groups), households=len(pool.households)
    )
    if problems:
        raise ValidationError(problems, code="pool_too_small")
    core_round = Round(
        parameters=_parameters(round), groups=pool.groups, households=pool.households
    )
    return core_round, pool


def build_core_round(*, round: MatchingRound) -> Round:
    """The engine's input: the ready groups and households of the round's programme and city
    (only the selected ones, when the round names participants)."""
    return _core_input(round=round)[0]


def _store_result(*, round: MatchingRound, pool: selectors.CorePool, result: Result) -> None:
    """The proposals and the unmatched reasons, replacing a previous run's, in bulk."""
    groups, households = pool.group_pk, pool.household_pk
    round.proposals.all().delete()
    round.unmatched.all().delete()
    # Plain rows, no model object each: the values are the engine's, checked by the core.
    insert_rows(
        Proposal,
        ("round", "group", "household", "role", "distance_km", "group_rank", "household_rank"),
        (
            (
                round.pk,
                groups[pair.group],
                households[pair.household],
                role.value,
                pair.distance_km,
                pair.group_rank,
                pair.household_rank,
            )
            for role, pairs in (
                (ProposalRole.MATCH, result.matches),
                (ProposalRole.CONTROL, result.controls),
            )
            for pair in pairs
        ),
    )
    insert_rows(
        UnmatchedEntry,
        ("round", "side", "group", "household", "reason", "eligible_partners"),
        [
            (
                round.pk,
                UnmatchedEntry.Side.GROUP.value,
                groups[item.id],
                None,
                item.reason.value,
                item.eligible_partners,
            )
            for item in result.unmatched_groups
        ]
        + [
            (
                round.pk,
                UnmatchedEntry.Side.HOUSEHOLD.value,
                None,
                households[item.id],
                item.reason.value,
                item.eligible_partners,
            )
            for item in result.unmatched_households
        ],
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
        round = MatchingRound.objects.select_for_update().defer(*_FILES).get(pk=round.pk)
        _transition(round=round, target=RoundStatus.PROPOSED)
    core_round, pool = _core_input(round=round)
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
        _store_result(round=round, pool=pool, result=result)
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


def _taken_error(*, round: MatchingRound) -> ValidationError:
    """The refusal when the database found a participant taken since the re-check: name it."""
    taken = (
        Match.objects.open()
        .exclude(round=round)
        .filter(
            Q(group_id__in=round.proposals.filter(role=ProposalRole.MATCH).values("group_id"))
            | Q(household_id__in=round.proposals.values("household_id"))
        )
        .select_related("group", "household")
        .first()
    )
    if taken is not None:
        proposed = round.proposals.filter(group_id=taken.group_id).exists()
        reference = taken.group.reference if proposed else taken.household.reference
    else:
        control = (
            ControlAssignment.objects.exclude(round=round)
            .filter(household_id__in=round.proposals.values("household_id"))
            .select_related("household")
            .first()
        )
        reference = control.household.reference if control is not None else round.name
    return ValidationError(message(ERR_NOT_AVAILABLE, reference=reference), code="taken")


@transaction.atomic
def round_confirm(*, round: MatchingRound, actor: User | None) -> MatchingRound:
    """Turn the proposals into matches and control assignments; the round becomes immutable."""
    round = MatchingRound.objects.select_for_update().defer(*_FILES).get(pk=round.pk)
    _transition(round=round, target=RoundStatus.CONFIRMED)
    # Rounds of one programme can share participants: confirm them one after the other, so
    # the second sees the first's matches and refuses cleanly below.
    serialize(f"round-confirm:{round.programme_id}")
    changes = selectors.round_changes(round=round)
    if changes:
        raise round_changed_error(changes)
    proposals = list(round.proposals.values_list("group_id", "household_id", "role", "distance_km"))
    treatment = {g: h for g, h, role, _d in proposals if role == ProposalRole.MATCH}
    # Plain rows, no model object each (a national round has some 40 000 pairs): the values
    # come from the round's own proposals, checked when they were stored; the references
    # between rows and the one-open-match and one-control rules are the database's
    # constraints, checked by the inserts (COPY on PostgreSQL).
    matches = [
        (round.pk, g, h, MatchStatus.PROPOSED.value, distance)
        for g, h, role, distance in proposals
        if role == ProposalRole.MATCH
    ]
    controls = [
        (round.pk, g, h, treatment[g])
        for g, h, role, _d in proposals
        if role == ProposalRole.CONTROL
    ]
    try:
        with transaction.atomic():
            insert_rows(Match, ("round", "group", "household", "status", "distance_km"), matches)
            insert_rows(
                ControlAssignment, ("round", "group", "household", "treatment_household"), controls
            )
    except IntegrityError as error:  # taken meanwhile by a pair made outside this round
        raise _taken_error(round=round) from error
    match_data = {"round": round.pk, "status": MatchStatus.PROPOSED.value}
    audit_record_rows(
        actor=actor,
        action="match.proposed",
        rows=(
            (Match._meta.label_lower, str(pk), match_data)
            for pk in Match.objects.filter(round=round).order_by("pk").values_list("pk", flat=True)
        ),
        programme_id=round.programme_id,
    )
    audit_record_rows(
        actor=actor,
        action="control.assigned",
        rows=(
            (ControlAssignment._meta.label_lower, str(pk), {"round": round.pk, "group": group})
            for pk, group in ControlAssignment.objects.filter(round=round)
            .order_by("pk")
            .values_list("pk", "group__reference")
        ),
        programme_id=round.programme_id,
    )
    round.confirmed_at = timezone.now()
    # Not the round's stored files (megabytes at national size): only what changed.
    round.save(update_fields=["status", "confirmed_at"])
    # The groups and households of the new matches hear about it (control households do not:
    # they have no match). Queued by a task after the commit: at national size that is tens of
    # thousands of messages, which the confirmation itself should not wait for.
    from welcomematch.notifications.tasks import notify_round_proposals

    round_pk = round.pk
    transaction.on_commit(lambda: notify_round_proposals.enqueue(round_id=round_pk))
    audit_record(
        actor=actor,
        action="round.confirmed",
        obj=round,
        data={"matches": len(matches), "controls": len(controls)},
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


# --- what if: variants of a round under review ---------------------------------------------

ERR_VARIANT_NOT_UNDER_REVIEW = _(
    "Variants can be tried on a round under review (proposed) only; this round is %(status)s."
)


@transaction.atomic
def round_variant_create(
    *,
    round: MatchingRound,
    actor: User | None,
    max_distance_km: float,
    mechanism: str,
    control_arm: bool,
) -> RoundVariant:
    """Run the round's pool, exactly as stored in its round file, with other settings (the same
    seed) and store the outcome as a variant. The round itself does not change.

    Synchronous: a variant is the engine alone over the stored file, no database building, so
    it takes what ``welcomematch match`` takes on that file (seconds, even for a national round).
    """
    round = MatchingRound.objects.select_for_update().get(pk=round.pk)
    if round.status != RoundStatus.PROPOSED:
        raise ValidationError(
            message(ERR_VARIANT_NOT_UNDER_REVIEW, status=round.get_status_display()),
            code="not_under_review",
        )
    check_max_distance(max_distance_km)
    stored = selectors.round_core_input(round=round)
    parameters = Parameters(
        max_distance_km=max_distance_km,
        mechanism=Mechanism(mechanism),
        control_arm=control_arm,
        seed=round.seed,
    )
    core_round = dataclasses.replace(stored, parameters=parameters)
    try:
        result = engine.run_round(core_round)
    except InvalidInput as error:
        raise _invalid(error, code="settings") from error
    except CoreError as error:
        raise ValidationError(
            message(selectors.ERR_ENGINE_INPUT, detail=error), code="engine_failed"
        ) from error
    variant = RoundVariant(
        round=round,
        max_distance_km=max_distance_km,
        mechanism=mechanism,
        control_arm=control_arm,
        round_file=roundfile.round_to_dict(core_round),
        result_file=roundfile.result_to_dict(result),
        created_by=actor if actor is not None and actor.pk else None,
    )
    variant.full_clean()
    variant.save()
    audit_record(
        actor=actor,
        action="round.variant_tried",
        obj=round,
        data={
            "variant": variant.pk,
            "max_distance_km": max_distance_km,
            "mechanism": mechanism,
            "control_arm": control_arm,
            "matched": result.summary.matched,
            "controls": result.summary.controls,
        },
    )
    return variant


@transaction.atomic
def round_adopt_settings(
    *, round: MatchingRound, variant: RoundVariant, actor: User | None
) -> MatchingRound:
    """Give a round under review the settings of one of its variants (the run that follows
    makes the variant's result the round's: adopting equals running with those settings)."""
    round = MatchingRound.objects.select_for_update().get(pk=round.pk)
    if round.status != RoundStatus.PROPOSED or variant.round_id != round.pk:
        raise ValidationError(
            message(ERR_VARIANT_NOT_UNDER_REVIEW, status=round.get_status_display()),
            code="not_under_review",
        )
    before = {
        "max_distance_km": round.max_distance_km,
        "mechanism": round.mechanism,
        "control_arm": round.control_arm,
    }
    round.max_distance_km = variant.max_distance_km
    round.mechanism = variant.mechanism
    round.control_arm = variant.control_arm
    round.full_clean()
    _check_settings(round)
    round.save()
    audit_record(
        actor=actor,
        action="round.variant_adopted",
        obj=round,
        data={"variant": variant.pk, "before": before},
    )
    return round


# --- adjustments before confirming ----------------------------------------------------------

ERR_ADJUST_STATUS = _(
    "A round can be adjusted before it is confirmed only (draft or proposed); this one is "
    "%(status)s."
)
ERR_ADJUST_REASON = _("Write down why: every adjustment of a round needs a reason.")
ERR_ADJUST_PAIR = _("Choose both a group and a household for this adjustment.")
ERR_ADJUST_ONE = _("Choose either a group or a household to leave out, not both.")
ERR_ADJUST_LOCKED = _("%(reference)s is already kept in another pair in this round.")
ERR_ADJUST_INELIGIBLE = _(
    "%(group)s and %(household)s cannot be kept as a pair: the round's rules do not allow it "
    "(%(why)s)."
)
INELIGIBLE_WORDS = {
    PairVerdict.OUT_OF_RANGE: _("they live too far apart"),
    PairVerdict.VULNERABILITY: _("the household needs more support than the group can give"),
    PairVerdict.EXCLUDED: _("they are excluded from each other"),
}
ERR_ADJUST_NOT_IN_ROUND = _("%(reference)s does not take part in this round.")


@transaction.atomic
def round_adjust(
    *,
    round: MatchingRound,
    kind: str,
    reason: str,
    actor: User | None,
    group: WelcomeGroup | None = None,
    household: HouseholdRow | None = None,
) -> RoundAdjustment:
    """Adjust a round before confirming, with a written reason (audited): forbid a pair (an
    exclusion in this round), keep a pair (the two are each other's only option, so the engine
    pairs them and re-solves everyone else around them), or leave a participant out. The round
    file of the next run carries the adjustment, so ``welcomematch match`` on it reproduces the
    stored result. Takes effect when the round is run again."""
    round = MatchingRound.objects.select_for_update().get(pk=round.pk)
    if round.status not in (RoundStatus.DRAFT, RoundStatus.PROPOSED):
        raise ValidationError(
            message(ERR_ADJUST_STATUS, status=round.get_status_display()), code="status"
        )
    if not reason.strip():
        raise ValidationError({"reason": ERR_ADJUST_REASON})
    if kind == AdjustmentKind.LEAVE_OUT:
        if (group is None) == (household is None):
            raise ValidationError(ERR_ADJUST_ONE, code="one")
    elif group is None or household is None:
        raise ValidationError(ERR_ADJUST_PAIR, code="pair")
    pool_groups, pool_households = selectors.round_pool(round=round)
    for record, pool in ((group, pool_groups), (household, pool_households)):
        if record is not None and not pool.filter(pk=record.pk).exists():
            raise ValidationError(
                message(ERR_ADJUST_NOT_IN_ROUND, reference=record.reference), code="not_in_round"
            )
    if kind == AdjustmentKind.LOCK:
        assert group is not None and household is not None
        locks = round.adjustments.filter(kind=AdjustmentKind.LOCK)
        for record, taken in (
            (group, locks.filter(group=group)),
            (household, locks.filter(household=household)),
        ):
            if taken.exists():
                raise ValidationError(
                    message(ERR_ADJUST_LOCKED, reference=record.reference), code="locked"
                )
        check = selectors.pair_check(
            group=group, household=household, max_distance_km=round.max_distance_km
        )
        if check.verdict != PairVerdict.MATCHED:
            raise ValidationError(
                message(
                    ERR_ADJUST_INELIGIBLE,
                    group=group.reference,
                    household=household.reference,
                    why=INELIGIBLE_WORDS.get(check.verdict, check.verdict.value),
                ),
                code="ineligible",
            )
    adjustment = RoundAdjustment(
        round=round,
        kind=kind,
        group=group,
        household=household,
        reason=reason.strip(),
        created_by=actor if actor is not None and actor.pk else None,
    )
    adjustment.full_clean()
    adjustment.save()
    audit_record(
        actor=actor,
        action="round.adjusted",
        obj=round,
        data={
            "adjustment": adjustment.pk,
            "kind": kind,
            "group": group.reference if group else None,
            "household": household.reference if household else None,
            "reason": adjustment.reason,
        },
    )
    return adjustment


# --- fairness: the lottery audit of a round --------------------------------------------------

#: The lottery audit from the round page: how many draws by default, and the bounds a
#: coordinator may choose within (each draw re-runs the round: about 9 s at national size).
AUDIT_DRAWS_DEFAULT = 200
AUDIT_DRAWS_MIN = 10
AUDIT_DRAWS_MAX = 2000

ERR_AUDIT_NOT_RUN = _("Only a round that has run (proposed or confirmed) can be audited.")
ERR_AUDIT_DRAWS = _("Draws: give a whole number from %(minimum)s to %(maximum)s.")

#: The dimensions a side's chances are summarised by, in the order the page shows them.
AUDIT_DIMENSIONS = ("type", "level", "city")


def check_audit_draws(draws: object) -> int:
    """The number of draws of a lottery audit, or a refusal naming the field and the bounds."""
    if isinstance(draws, bool) or not isinstance(draws, int):
        draws = -1
    if not AUDIT_DRAWS_MIN <= draws <= AUDIT_DRAWS_MAX:
        raise ValidationError(
            {"draws": message(ERR_AUDIT_DRAWS, minimum=AUDIT_DRAWS_MIN, maximum=AUDIT_DRAWS_MAX)},
            code="draws",
        )
    return draws


def check_auditable(*, round: MatchingRound) -> None:
    """Refuse to audit a round without a stored input (a draft, or cancelled before it ran)."""
    if round.status not in (RoundStatus.PROPOSED, RoundStatus.CONFIRMED) or not round.round_file:
        raise ValidationError(ERR_AUDIT_NOT_RUN, code="not_run")


def _summary_rows(
    side: str, chances: Sequence[ParticipantChance], city_of: dict[str, str]
) -> list[dict[str, object]]:
    values = {
        "type": (lambda c: c.type, None),
        "level": (lambda c: str(c.level), lambda v: (int(v), v)),
        "city": (lambda c: city_of.get(c.id, ""), None),
    }
    return [
        dataclasses.asdict(b)
        for by in AUDIT_DIMENSIONS
        for b in summarise(side, chances, by, values[by][0], values[by][1])
    ]


def round_lottery_audit(
    *,
    round: MatchingRound,
    draws: int,
    actor: User | None,
    progress: Callable[[int], None] | None = None,
) -> RoundLotteryAudit:
    """Re-run the round's stored input over ``draws`` lottery seeds, starting at the round's
    own seed (the core's lottery audit), and store every participant's chance of a match and
    of the control arm, summarised by type, level and city. The round does not change.

    The draws run outside any transaction (minutes at national size); ``progress`` is called
    with the number of draws done. Audited; all or nothing.
    """
    draws = check_audit_draws(draws)
    round = MatchingRound.objects.get(pk=round.pk)
    check_auditable(round=round)
    done = [0]

    def run(variant: Round) -> Result:
        result = engine.run_round(variant)
        done[0] += 1
        if progress is not None:
            progress(done[0])
        return result

    try:
        core_round = roundfile.round_from_dict(round.round_file)
        audit = audit_lottery(core_round, draws, run=run)
    except InvalidInput as error:
        raise _invalid(error, code="engine_input") from error
    except CoreError as error:
        raise ValidationError(
            message(selectors.ERR_ENGINE_INPUT, detail=error), code="engine_failed"
        ) from error
    groups = [g.id for g in core_round.groups]
    households = [h.id for h in core_round.households]
    city_of = {
        **dict(
            WelcomeGroup.objects.filter(programme=round.programme, reference__in=groups)
            .values_list("reference", "city__name")
            .iterator()
        ),
        **dict(
            HouseholdRow.objects.filter(programme=round.programme, reference__in=households)
            .values_list("reference", "city__name")
            .iterator()
        ),
    }
    with transaction.atomic():
        record = RoundLotteryAudit(
            round=round,
            draws=audit.draws,
            first_seed=audit.first_seed,
            round_run_at=round.run_at,
            chances={
                "group": {c.id: [c.matched, c.control] for c in audit.groups},
                "household": {c.id: [c.matched, c.control] for c in audit.households},
            },
            summaries=_summary_rows("household", audit.households, city_of)
            + _summary_rows("group", audit.groups, city_of),
            created_by=actor if actor is not None and actor.pk else None,
        )
        record.full_clean()
        record.save()
        audit_record(
            actor=actor,
            action="round.lottery_audit",
            obj=round,
            data={"audit": record.pk, "draws": audit.draws, "first_seed": audit.first_seed},
        )
    return record
