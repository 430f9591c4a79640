"""Writers for the trial: the study of a programme, and the append-only register (protocol
deviations, withdrawals, corrections, lottery audits). Every writer is one transaction and
leaves an audit event; register rows are never changed — a correction is a new row."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from welcomematch.accounts.models import Role, User
from welcomematch.accounts.services import audit_record
from welcomematch.core import roundfile
from welcomematch.core.audit import audit_lottery
from welcomematch.core.errors import CoreError
from welcomematch.i18n import message
from welcomematch.intake.models import Household
from welcomematch.matching.models import MatchingRound, RoundStatus
from welcomematch.programmes.models import Programme
from welcomematch.trial import dataset, exports
from welcomematch.trial.models import (
    Arm,
    ControlAssignment,
    EntryKind,
    LotteryAuditRecord,
    OutcomeDerivation,
    RegisterEntry,
    Study,
    StudyOutcome,
)

ERR_STUDY_EXISTS = _("This programme already has a study.")
ERR_REASON = _("Give the reason; it is kept in the register.")
ERR_DEVIATION_ROLE = _("Only an administrator may record a protocol deviation.")
ERR_NOT_CONTROL = _("%(reference)s is not a control household; only a control can be released.")
ERR_ALREADY_RELEASED = _("%(reference)s has already been released by a protocol deviation.")
ERR_NOT_IN_TRIAL = _("%(reference)s is in neither arm of the trial.")
ERR_ALREADY_CORRECTED = _("This row has already been corrected.")
ERR_CORRECT_CORRECTION = _("A correction cannot itself be corrected; record the row again.")
ERR_OTHER_PROGRAMME = _("%(reference)s belongs to another programme.")
ERR_AUDIT_ROUND = _("Only a confirmed round with the control arm can be audited.")
ERR_AUDIT_DRAWS = _("The number of draws must be between 1 and %(maximum)s.")
ERR_OUTCOME_ITEM = _("Outcome %(code)s: give the survey item it is derived from.")

#: The most draws a lottery audit started from the web may run.
MAX_AUDIT_DRAWS = 2000


@dataclass(frozen=True)
class OutcomeSpec:
    """An outcome of interest as given when a study is set up."""

    code: str
    item_code: str
    derivation: OutcomeDerivation
    labels: Mapping[str, str]


#: The outcomes of interest a study can choose from (final-survey items of the newcomers).
OUTCOME_PRESETS: dict[str, OutcomeSpec] = {
    spec.code: spec
    for spec in (
        OutcomeSpec(
            "dutch_cefr_gain",
            "dutch_cefr",
            OutcomeDerivation.GAIN,
            {
                "en": "Dutch level gained (CEFR steps)",
                "nl": "Vooruitgang Nederlands (CEFR-stappen)",
            },
        ),
        OutcomeSpec(
            "in_work_or_education",
            "work_status",
            OutcomeDerivation.IN_WORK_OR_EDUCATION,
            {"en": "In work or education", "nl": "Aan het werk of in opleiding"},
        ),
        OutcomeSpec(
            "english_cefr_gain",
            "english_cefr",
            OutcomeDerivation.GAIN,
            {"en": "English level gained (CEFR steps)", "nl": "Vooruitgang Engels (CEFR-stappen)"},
        ),
        OutcomeSpec(
            "dutch_contacts_weekly_gain",
            "dutch_contacts_weekly",
            OutcomeDerivation.GAIN,
            {
                "en": "More Dutch people met weekly",
                "nl": "Meer Nederlanders die men wekelijks spreekt",
            },
        ),
    )
}


def _actor(actor: User | None) -> User | None:
    return actor if actor is not None and actor.pk else None


@transaction.atomic
def study_create(
    *,
    programme: Programme,
    title: str,
    starts_on: date,
    ends_on: date,
    analysis_seed: int,
    outcomes: Sequence[OutcomeSpec],
    actor: User | None,
) -> Study:
    """Set up the study of a programme: its period, outcomes of interest and analysis seed."""
    programme = Programme.objects.select_for_update().get(pk=programme.pk)  # one at a time
    if Study.objects.filter(programme=programme).exists():
        raise ValidationError(ERR_STUDY_EXISTS)
    study = Study(
        programme=programme,
        title=title,
        starts_on=starts_on,
        ends_on=ends_on,
        analysis_seed=analysis_seed,
        created_by=_actor(actor),
    )
    study.full_clean()
    study.save()
    for position, spec in enumerate(outcomes):
        if not spec.item_code.strip():
            raise ValidationError(message(ERR_OUTCOME_ITEM, code=spec.code))
        outcome = StudyOutcome(
            study=study,
            code=spec.code,
            item_code=spec.item_code,
            derivation=spec.derivation,
            labels=dict(spec.labels),
            position=position,
        )
        outcome.full_clean()
        outcome.save()
    audit_record(
        actor=actor,
        action="study.created",
        obj=study,
        data={
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "analysis_seed": analysis_seed,
            "outcomes": [f"{o.code}={o.derivation}({o.item_code})" for o in outcomes],
        },
    )
    return study


def household_arm(household: Household) -> Arm | None:
    """The household's arm in the trial's randomisation units, if it is in one."""
    if ControlAssignment.objects.filter(household=household).exists():
        return Arm.CONTROL
    if ControlAssignment.objects.filter(treatment_household=household).exists():
        return Arm.TREATMENT
    return None


def _entry(
    *,
    programme: Programme,
    kind: EntryKind,
    household: Household,
    arm: str,
    reason: str,
    actor: User | None,
    corrects: RegisterEntry | None = None,
) -> RegisterEntry:
    entry = RegisterEntry(
        programme=programme,
        kind=kind,
        household=household,
        arm=arm,
        reason=reason.strip(),
        corrects=corrects,
        recorded_by=_actor(actor),
    )
    entry.full_clean()
    entry.save()
    audit_record(
        actor=actor,
        action=f"trial.{kind}",
        obj=entry,
        data={
            "household": household.reference,
            "arm": arm,
            "corrects": corrects.pk if corrects else None,
        },
    )
    return entry


@transaction.atomic
def deviation_record(*, household: Household, reason: str, actor: User | None) -> RegisterEntry:
    """An administrator releases a control household for matching before the study period
    ends: a protocol deviation, kept in the register and shown with the analysis."""
    if actor is None or not (actor.is_superuser or actor.role == Role.ADMINISTRATOR):
        raise ValidationError(ERR_DEVIATION_ROLE, code="forbidden")
    if not reason.strip():
        raise ValidationError({"reason": ERR_REASON})
    household = Household.objects.select_for_update().get(pk=household.pk)
    if not ControlAssignment.objects.filter(household=household).exists():
        raise ValidationError(message(ERR_NOT_CONTROL, reference=household.reference))
    if RegisterEntry.objects.filter(
        household=household, kind=EntryKind.DEVIATION, corrected_by__isnull=True
    ).exists():
        raise ValidationError(message(ERR_ALREADY_RELEASED, reference=household.reference))
    return _entry(
        programme=household.programme,
        kind=EntryKind.DEVIATION,
        household=household,
        arm=Arm.CONTROL,
        reason=reason,
        actor=actor,
    )


@transaction.atomic
def withdrawal_record(*, household: Household, reason: str, actor: User | None) -> RegisterEntry:
    """A household of either arm withdraws from the study (no further follow-up)."""
    if not reason.strip():
        raise ValidationError({"reason": ERR_REASON})
    household = Household.objects.select_for_update().get(pk=household.pk)
    arm = household_arm(household)
    if arm is None:
        raise ValidationError(message(ERR_NOT_IN_TRIAL, reference=household.reference))
    return _entry(
        programme=household.programme,
        kind=EntryKind.WITHDRAWAL,
        household=household,
        arm=arm,
        reason=reason,
        actor=actor,
    )


@transaction.atomic
def entry_correct(*, entry: RegisterEntry, reason: str, actor: User | None) -> RegisterEntry:
    """Withdraw an earlier register row by a new correction row (the old row stays)."""
    if not reason.strip():
        raise ValidationError({"reason": ERR_REASON})
    entry = RegisterEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.kind == EntryKind.CORRECTION:
        raise ValidationError(ERR_CORRECT_CORRECTION)
    if RegisterEntry.objects.filter(corrects=entry).exists():
        raise ValidationError(ERR_ALREADY_CORRECTED)
    if entry.kind == EntryKind.DEVIATION and not (
        actor is not None and (actor.is_superuser or actor.role == Role.ADMINISTRATOR)
    ):
        raise ValidationError(ERR_DEVIATION_ROLE, code="forbidden")
    return _entry(
        programme=entry.programme,
        kind=EntryKind.CORRECTION,
        household=entry.household,
        arm=entry.arm,
        reason=reason,
        actor=actor,
        corrects=entry,
    )


@transaction.atomic
def lottery_audit_record(
    *, round: MatchingRound, draws: int, actor: User | None
) -> LotteryAuditRecord:
    """Re-run a confirmed control-arm round over ``draws`` seeds from its own (the core's
    lottery audit) and keep every household's chance of treatment and of control."""
    round = MatchingRound.objects.get(pk=round.pk)
    if round.status != RoundStatus.CONFIRMED or not round.control_arm or not round.round_file:
        raise ValidationError(ERR_AUDIT_ROUND)
    if not 1 <= draws <= MAX_AUDIT_DRAWS:
        raise ValidationError(message(ERR_AUDIT_DRAWS, maximum=MAX_AUDIT_DRAWS))
    try:
        result = audit_lottery(roundfile.round_from_dict(round.round_file), draws)
    except CoreError as error:
        raise ValidationError(str(error)) from error
    record = LotteryAuditRecord(
        round=round,
        draws=result.draws,
        first_seed=result.first_seed,
        chances={c.id: [c.p_matched, c.p_control] for c in result.households},
        recorded_by=_actor(actor),
    )
    record.full_clean()
    record.save()
    audit_record(
        actor=actor,
        action="trial.lottery_audit",
        obj=record,
        data={"round": round.pk, "draws": result.draws, "first_seed": result.first_seed},
    )
    return record


def register_export(*, study: Study, actor: User | None) -> bytes:
    """The register for pre-registration (a zip of CSV files with a codebook); audited."""
    files = exports.register_files(study)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="trial.register_exported",
            obj=study,
            data={"files": sorted(files)},
        )
    return exports.zipped(files)


def research_export(*, study: Study, actor: User | None) -> bytes:
    """The research export (trial data file, balance, register, codebook); pseudonymous,
    and recorded in the audit trail as a sensitive read."""
    data = dataset.trial_data(study=study)
    files = exports.research_files(study, data)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="trial.research_exported",
            obj=study,
            data={"rows": len(data.rows), "files": sorted(files)},
        )
    return exports.zipped(files)
