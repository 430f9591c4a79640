"""Read-only views of the randomised control arm: treatment and control, side by side."""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from welcomematch.intake.models import Household
from welcomematch.lifecycle.models import Match
from welcomematch.matching.models import MatchingRound, RoundStatus
from welcomematch.programmes.models import Programme
from welcomematch.trial.models import (
    ControlAssignment,
    EntryKind,
    LotteryAuditRecord,
    RegisterEntry,
    Study,
)

# --- the arm rules: once in an arm, always in that arm for the study period ---------------


def _open_deviations() -> QuerySet[RegisterEntry]:
    """Protocol deviations (not withdrawn by a correction) of the outer control assignment."""
    return RegisterEntry.objects.filter(
        household=OuterRef("household"), kind=EntryKind.DEVIATION, corrected_by__isnull=True
    )


def held_in_control() -> Exists:
    """For a household queryset (``OuterRef("pk")``): it is a control household and must not
    be matched — no protocol deviation released it and its programme's study period has not
    ended (without a study, a control household stays a control)."""
    return Exists(
        ControlAssignment.objects.filter(household=OuterRef("pk"))
        .exclude(round__programme__study__ends_on__lt=timezone.localdate())
        .exclude(Exists(_open_deviations()))
    )


def household_held_in_control(household: Household) -> bool:
    return Household.objects.filter(pk=household.pk).filter(held_in_control()).exists()


def control_assignment_of(household: Household) -> ControlAssignment | None:
    """The draw that made ``household`` a control household of the trial, if any (shown to the
    roles that may see trial arms, :data:`~welcomematch.accounts.permissions.RESEARCH`)."""
    return (
        ControlAssignment.objects.filter(household=household)
        .select_related("round", "group")
        .order_by("created_at", "pk")
        .first()
    )


def control_candidates(households: QuerySet[Household]) -> QuerySet[Household]:
    """The households of ``households`` the fair coin may make a control: those never in an
    arm before. A household that was ever matched (treatment, or matched outside a round) or
    ever drawn as a control keeps that arm, so a round with the control arm leaves it out."""
    return households.exclude(
        Exists(Match.objects.filter(household=OuterRef("pk")))
        | Exists(ControlAssignment.objects.filter(household=OuterRef("pk")))
    )


def trial_rounds(*, rounds: QuerySet[MatchingRound]) -> QuerySet[MatchingRound]:
    """Of ``rounds`` (a user's scope: ``accounts.scope.scoped_rounds``), the confirmed rounds
    that ran with the randomised control arm, oldest first."""
    qs = rounds.filter(status=RoundStatus.CONFIRMED, control_arm=True)
    return qs.select_related("city").order_by("confirmed_at", "id")


@dataclass(frozen=True)
class CoinRow:
    """One group of a round: the household the coin made the match, and the control (if any)."""

    group_reference: str
    group_name: str
    treatment: str
    control: str | None


@dataclass
class RoundArms:
    round: MatchingRound
    rows: list[CoinRow] = field(default_factory=list)

    @property
    def treatment_count(self) -> int:
        return len(self.rows)

    @property
    def control_count(self) -> int:
        return sum(1 for r in self.rows if r.control)


def arms_per_round(*, rounds: QuerySet[MatchingRound]) -> list[RoundArms]:
    result = []
    for rnd in rounds:
        controls = {
            c.group_id: c.household.reference
            for c in ControlAssignment.objects.filter(round=rnd).select_related("household")
        }
        arms = RoundArms(round=rnd)
        for match in (
            Match.objects.filter(round=rnd)
            .select_related("group", "household")
            .order_by("group__reference")
        ):
            arms.rows.append(
                CoinRow(
                    group_reference=match.group.reference,
                    group_name=match.group.name,
                    treatment=match.household.reference,
                    control=controls.get(match.group_id),
                )
            )
        result.append(arms)
    return result


@dataclass(frozen=True)
class Tally:
    """Counts of treatment and control households for one value (a city, a type, a level)."""

    key: str
    treatment: int
    control: int


def _tally(treatment: Counter[str], control: Counter[str]) -> list[Tally]:
    keys = sorted(set(treatment) | set(control))
    return [Tally(key=k, treatment=treatment[k], control=control[k]) for k in keys]


def arm_households(
    *, rounds: QuerySet[MatchingRound]
) -> tuple[QuerySet[Household], QuerySet[Household]]:
    """The treatment households (matched by these rounds) and the control households."""
    treatment = Household.objects.filter(matches__round__in=rounds).distinct()
    control = Household.objects.filter(control_assignment__round__in=rounds)
    return treatment, control


def aggregates(*, rounds: QuerySet[MatchingRound]) -> dict[str, list[Tally]]:
    """Per city, per household type and per vulnerability level: only counts, no records."""
    treatment, control = arm_households(rounds=rounds)
    treatment_rows = list(treatment.select_related("city"))
    control_rows = list(control.select_related("city"))
    return {
        "city": _tally(
            Counter(h.city.name for h in treatment_rows), Counter(h.city.name for h in control_rows)
        ),
        "household_type": _tally(
            Counter(h.household_type or "unspecified" for h in treatment_rows),
            Counter(h.household_type or "unspecified" for h in control_rows),
        ),
        "vulnerability": _tally(
            Counter(str(h.vulnerability_level) for h in treatment_rows),
            Counter(str(h.vulnerability_level) for h in control_rows),
        ),
    }


# --- the study and its register -------------------------------------------------------------


def study_for(*, programme: Programme | None) -> Study | None:
    if programme is None:
        return None
    return Study.objects.filter(programme=programme).prefetch_related("outcomes").first()


def pseudonym(study: Study, kind: str, pk: int) -> str:
    """A stable pseudonymous id for one record within one study (HMAC-SHA256 of the database
    id under the study's secret key): the same household always gets the same id in this
    study's exports, nobody without the key can go back to the record, and two studies'
    ids cannot be linked."""
    digest = hmac.new(
        study.pseudonym_key.encode("ascii"), f"{kind}:{pk}".encode("ascii"), hashlib.sha256
    ).hexdigest()
    return f"{kind[0].upper()}-{digest[:12]}"


def study_units(*, study: Study) -> QuerySet[ControlAssignment]:
    """The randomisation units of the study: pairs drawn by rounds confirmed in its period."""
    return (
        ControlAssignment.objects.filter(
            round__programme=study.programme,
            round__status=RoundStatus.CONFIRMED,
            round__confirmed_at__date__gte=study.starts_on,
            round__confirmed_at__date__lte=study.ends_on,
        )
        .select_related("round", "group", "household", "treatment_household")
        .order_by("round__confirmed_at", "round_id", "group__reference")
    )


@dataclass(frozen=True)
class UnitRow:
    """One randomisation unit as the register shows it."""

    unit: ControlAssignment
    pair: str
    group: str
    treatment: str
    control: str
    coin: int
    seed: int
    drawn_at: datetime
    round_name: str
    #: P(treatment), P(control) of the treated and of the control household.
    treated_chances: tuple[float, float]
    control_chances: tuple[float, float]
    probability_source: str


def _latest_audits(round_ids: set[int]) -> dict[int, LotteryAuditRecord]:
    latest: dict[int, LotteryAuditRecord] = {}
    for record in LotteryAuditRecord.objects.filter(round_id__in=round_ids).order_by(
        "round_id", "recorded_at", "id"
    ):
        latest[record.round_id] = record
    return latest


def register_units(*, study: Study) -> list[UnitRow]:
    """Every unit with its coin, seed, time and each household's chance of each arm: from the
    round's latest lottery audit where one was recorded, else 1/2 (the fair coin of the pair)."""
    units = list(study_units(study=study))
    audits = _latest_audits({u.round_id for u in units})
    rows = []
    for u in units:
        audit = audits.get(u.round_id)
        half = (0.5, 0.5)
        if audit is not None:
            treated = tuple(audit.chances.get(u.treatment_household.reference, [None, None]))
            control = tuple(audit.chances.get(u.household.reference, [None, None]))
            source = f"lottery_audit:{audit.draws}"
        else:
            treated, control, source = half, half, "coin"
        rows.append(
            UnitRow(
                unit=u,
                pair=pseudonym(study, "unit", u.pk),
                group=pseudonym(study, "group", u.group_id),
                treatment=pseudonym(study, "household", u.treatment_household_id),
                control=pseudonym(study, "household", u.household_id),
                coin=int(u.treatment_household.reference < u.household.reference),
                seed=u.round.seed,
                drawn_at=u.round.confirmed_at or u.created_at,
                round_name=u.round.name,
                treated_chances=treated,
                control_chances=control,
                probability_source=source,
            )
        )
    return rows


def register_entries(*, study: Study) -> QuerySet[RegisterEntry]:
    """Deviations, withdrawals and corrections of the study's households, oldest first."""
    units = study_units(study=study)
    households = set(units.values_list("household_id", flat=True)) | set(
        units.values_list("treatment_household_id", flat=True)
    )
    return (
        RegisterEntry.objects.filter(programme=study.programme, household_id__in=households)
        .select_related("household", "recorded_by", "corrects")
        .order_by("recorded_at", "id")
    )


def in_force(entries: QuerySet[RegisterEntry], kind: EntryKind) -> QuerySet[RegisterEntry]:
    """Rows of ``kind`` that no correction has withdrawn."""
    return entries.filter(kind=kind, corrected_by__isnull=True)
