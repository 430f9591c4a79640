"""The trial data of a study (``welcomematch.trial/1``), read from the database.

One row per household of each randomisation unit: the pair (a pseudonymous unit id), the
arm, a pseudonymous household id, the outcomes of interest derived from the newcomers'
final-survey answers, and the baseline covariates from the intake — coarsened so that the
file holds nothing identifying: no names, contact details or free text, ages in 5-year bands,
postcodes to 2 digits. Read-only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q

from welcomematch.core.trial import TrialData, trial_data_from_rows
from welcomematch.core.trial_outcomes import age_band, answer_level, outcome_value, postcode_area
from welcomematch.intake.models import Household, Person
from welcomematch.surveys.models import Item, Response, Side, SurveyWave
from welcomematch.trial.models import Arm, ControlAssignment, Study, StudyOutcome
from welcomematch.trial.selectors import pseudonym, study_units


@dataclass(frozen=True)
class Column:
    """One column of an exported file, as the codebook describes it (in English, the
    language of the research files)."""

    name: str
    meaning: str
    values: str


#: The identifying columns of the trial data file.
DESIGN_COLUMNS: tuple[Column, ...] = (
    Column(
        "pair",
        "The randomisation unit (a group with its two households), pseudonymous.",
        "U- and 12 hex digits; the same in every export of this study.",
    ),
    Column("arm", "The arm the fair coin assigned.", "treatment | control"),
    Column(
        "unit",
        "The household, pseudonymous (HMAC-SHA256 of its id with the study's secret key).",
        "H- and 12 hex digits; the same in every export of this study.",
    ),
)

#: The baseline covariates, from the intake (before the coin), in this order.
COVARIATES: tuple[Column, ...] = (
    Column("origin", "Country of origin.", "ISO 3166 two-letter code; empty = unknown"),
    Column(
        "household_type",
        "Household composition at intake.",
        "family_with_children | couple | single_parent | single_man | single_woman | single_other",
    ),
    Column(
        "vulnerability_level",
        "Support level at intake (derived from the self-sufficiency scores, or overridden).",
        "integer, 0 = none",
    ),
    Column("household_size", "Number of persons in the household.", "integer"),
    Column(
        "dutch_cefr_intake",
        "Self-assessed Dutch level at intake.",
        "none = 0, A1 = 1, A2 = 2, B1 = 3, B2 = 4, C1 = 5, C2 = 6; empty = unknown",
    ),
    Column(
        "employment_intake",
        "Work situation at intake.",
        "a code of the programme's employment list; empty = unknown",
    ),
    Column(
        "age_main_adult",
        "Age of the main adult, in 5-year bands.",
        "lower bound of the band: 30 = 30 to 34 years",
    ),
    Column(
        "postcode_area",
        "Postcode area of the household.",
        "the postcode's first two digits; empty = unknown",
    ),
)

#: Covariates left out of the balance table shown and exported (too fine to compare).
NOT_BALANCED: tuple[str, ...] = ("postcode_area",)

#: Household fields that hold the intake answer of a survey item, where the intake survey
#: of the newcomers was not used (the intake interview recorded it on the household).
INTAKE_FIELDS = {"dutch_cefr": "cefr_dutch", "english_cefr": "cefr_english"}

_DERIVATION_VALUES = {
    "gain": "final level minus intake level (a number; empty = not observed)",
    "in_work_or_education": (
        "1 = in work or education (full-time, part-time, internship, studying, training), "
        "0 = not; empty = not observed"
    ),
    "final": "the final answer's level or number; empty = not observed",
}


def outcome_columns(study: Study) -> list[Column]:
    return [
        Column(
            o.code,
            f"Outcome: {o.label('en')} (final survey item {o.item_code}, {o.derivation}).",
            _DERIVATION_VALUES[o.derivation],
        )
        for o in study.outcomes.all()
    ]


@dataclass
class StudyRow:
    """One household of one unit: its database records (never exported) and its values."""

    unit: ControlAssignment
    arm: str
    household: Household
    values: dict[str, object] = field(default_factory=dict)
    responded_on: date | None = None


def _first_responses(
    *, study: Study, moment: str, households: Iterable[int]
) -> dict[int, Response]:
    """Each household's first submitted newcomer response of ``moment``: the main adult's
    where there are several, else the earliest."""
    chosen: dict[int, Response] = {}
    for response in (
        Response.objects.filter(
            programme=study.programme,
            moment=moment,
            side=Side.NEWCOMER,
            household_id__in=list(households),
            submitted_at__isnull=False,
        )
        .select_related("respondent__person", "instrument")
        .prefetch_related("answers")
        .order_by("submitted_at", "id")
    ):
        assert response.household_id is not None
        person = response.respondent.person if response.respondent else None
        current = chosen.get(response.household_id)
        is_main = person is not None and person.relation == Person.Relation.MAIN
        if current is None or (
            is_main
            and not (
                current.respondent
                and current.respondent.person
                and current.respondent.person.relation == Person.Relation.MAIN
            )
        ):
            chosen[response.household_id] = response
    return chosen


def _answers(response: Response | None) -> dict[str, Any]:
    if response is None:
        return {}
    return {a.item_code: a.value for a in response.answers.all()}


def _item_scales(outcomes: list[StudyOutcome]) -> dict[str, str]:
    codes = {o.item_code for o in outcomes}
    scales: dict[str, str] = {}
    for code, scale in Item.objects.filter(
        Q(code__in=codes), instrument__side=Side.NEWCOMER
    ).values_list("code", "scale"):
        scales.setdefault(code, scale)
    return scales


def study_rows(*, study: Study) -> list[StudyRow]:
    """Two rows per unit of the study, in unit order, with outcomes and covariates."""
    units = list(study_units(study=study))
    rows = [
        StudyRow(unit=u, arm=arm, household=h)
        for u in units
        for arm, h in (
            (Arm.TREATMENT.value, u.treatment_household),
            (Arm.CONTROL.value, u.household),
        )
    ]
    household_ids = [r.household.pk for r in rows]
    persons: dict[int, list[Person]] = {}
    for person in Person.objects.filter(household_id__in=household_ids).order_by("id"):
        persons.setdefault(person.household_id, []).append(person)
    outcomes = list(study.outcomes.all())
    scales = _item_scales(outcomes)
    final = _first_responses(study=study, moment="final", households=household_ids)
    intake = _first_responses(study=study, moment="intake", households=household_ids)
    for row in rows:
        h = row.household
        final_answers = _answers(final.get(h.pk))
        intake_answers = _answers(intake.get(h.pk))
        response = final.get(h.pk)
        row.responded_on = (
            response.submitted_at.date() if response and response.submitted_at else None
        )
        values: dict[str, object] = {
            "pair": pseudonym(study, "unit", row.unit.pk),
            "arm": row.arm,
            "unit": pseudonym(study, "household", h.pk),
        }
        for o in outcomes:
            intake_value = intake_answers.get(o.item_code)
            if intake_value is None and o.item_code in INTAKE_FIELDS:
                intake_value = getattr(h, INTAKE_FIELDS[o.item_code]) or None
            values[o.code] = (
                outcome_value(
                    o.derivation,
                    scales.get(o.item_code, "number"),
                    final_answers.get(o.item_code),
                    intake_value,
                )
                if response is not None
                else None
            )
        members = persons.get(h.pk, [])
        main = next((p for p in members if p.relation == Person.Relation.MAIN), None)
        values.update(
            {
                "origin": h.country_of_origin,
                "household_type": h.household_type,
                "vulnerability_level": h.vulnerability_level,
                "household_size": len(members),
                "dutch_cefr_intake": answer_level("cefr", h.cefr_dutch) if h.cefr_dutch else None,
                "employment_intake": h.employment,
                "age_main_adult": age_band(main.age) if main else None,
                "postcode_area": postcode_area(h.postcode),
            }
        )
        row.values = values
    return rows


def columns(study: Study) -> list[str]:
    return (
        [c.name for c in DESIGN_COLUMNS]
        + [o.code for o in study.outcomes.all()]
        + [c.name for c in COVARIATES]
    )


def trial_data(*, study: Study, rows: list[StudyRow] | None = None) -> TrialData:
    """The study's rows as the core's trial data (what the export writes, byte for byte)."""
    rows = study_rows(study=study) if rows is None else rows
    return trial_data_from_rows([r.values for r in rows], columns(study))


# --- response rates per arm: the pilot's failure mode ---------------------------------------

#: The control arm "falls behind" when its response rate is this much below the treatment
#: arm's (the analysis contract's threshold for differential attrition).
FOLLOW_UP_GAP = 0.10


def current_moment(*, study: Study) -> str | None:
    """The latest follow-up survey (final, else mid-term) that has started for the programme."""
    for moment in ("final", "midterm"):
        if (
            SurveyWave.objects.filter(programme=study.programme, moment=moment).exists()
            or Response.objects.filter(
                programme=study.programme, moment=moment, side=Side.NEWCOMER
            ).exists()
        ):
            return moment
    return None


@dataclass(frozen=True)
class ResponseRates:
    """Per arm, the share of the study's households that answered the survey of ``moment``."""

    moment: str
    pairs: int
    treatment: float
    control: float
    #: The control households that have not answered (to follow up; identifying).
    missing_controls: tuple[StudyRow, ...]
    #: Per day of a first answer: the attrition so far per arm (1 - answered / pairs).
    days: tuple[date, ...]
    treatment_attrition: tuple[float, ...]
    control_attrition: tuple[float, ...]

    @property
    def control_behind(self) -> bool:
        return self.treatment - self.control >= FOLLOW_UP_GAP - 1e-12


def response_rates(*, study: Study, rows: list[StudyRow]) -> ResponseRates | None:
    moment = current_moment(study=study)
    if moment is None or not rows:
        return None
    answered = {
        h: r.submitted_at.date()
        for h, r in _first_responses(
            study=study, moment=moment, households=[r.household.pk for r in rows]
        ).items()
        if r.submitted_at is not None
    }
    pairs = len(rows) // 2
    by_arm = {
        arm: [answered[r.household.pk] for r in rows if r.arm == arm and r.household.pk in answered]
        for arm in (Arm.TREATMENT.value, Arm.CONTROL.value)
    }
    days = tuple(sorted(set(answered.values())))
    opened = (
        SurveyWave.objects.filter(programme=study.programme, moment=moment)
        .order_by("opened_at")
        .values_list("opened_at", flat=True)
        .first()
    )
    if opened is not None and (not days or opened.date() < days[0]):
        days = (opened.date(), *days)  # the wave opened: nobody has answered yet

    def attrition(arm: str) -> tuple[float, ...]:
        return tuple(1 - sum(1 for d in by_arm[arm] if d <= day) / pairs for day in days)

    return ResponseRates(
        moment=moment,
        pairs=pairs,
        treatment=len(by_arm[Arm.TREATMENT.value]) / pairs,
        control=len(by_arm[Arm.CONTROL.value]) / pairs,
        missing_controls=tuple(
            r for r in rows if r.arm == Arm.CONTROL.value and r.household.pk not in answered
        ),
        days=days,
        treatment_attrition=attrition(Arm.TREATMENT.value),
        control_attrition=attrition(Arm.CONTROL.value),
    )
