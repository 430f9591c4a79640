"""Outcome values and coarsened covariates of the trial data file (no Django).

An outcome of interest is a final-survey item of the newcomers with a derivation:

- ``gain``: final level minus intake level, on the item's ordered scale (CEFR: none = 0,
  A1 = 1, ..., C2 = 6) or number; unknown when either answer is missing;
- ``in_work_or_education``: 1 when the final answer (work status, select multiple) includes
  any of :data:`WORK_OR_EDUCATION`, else 0;
- ``final``: the final answer's level or number.

A missing final answer is attrition: the value is ``None``. Coarsening for research exports:
ages to the lower bound of their 5-year band, postcodes to their first two digits.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from welcomematch.core.errors import InvalidInput
from welcomematch.core.scales import SCALES

__all__ = [
    "WORK_OR_EDUCATION",
    "Derivation",
    "age_band",
    "answer_level",
    "outcome_value",
    "postcode_area",
]

#: Work-status options that count as "in work or education".
WORK_OR_EDUCATION: frozenset[str] = frozenset(
    {"full_time", "part_time", "internship", "student", "training"}
)

Answer = str | Sequence[str] | int | float | None


class Derivation(StrEnum):
    GAIN = "gain"
    IN_WORK_OR_EDUCATION = "in_work_or_education"
    FINAL = "final"


def answer_level(scale: str, value: Answer) -> float | None:
    """The numeric level of one answer: a number as is, an ordered option by its level."""
    if value is None:
        return None
    if scale == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInput(f"{value!r} is not a number", field=scale)
        return float(value)
    known = SCALES.get(scale)
    if known is None or known.multiple:
        raise InvalidInput(f"scale {scale!r} has no numeric levels", field=scale)
    if not isinstance(value, str):
        raise InvalidInput(f"{value!r} is not an option of scale {scale!r}", field=scale)
    try:
        level = known.option(value).level
    except KeyError:
        raise InvalidInput(f"{value!r} is not an option of scale {scale!r}", field=scale) from None
    if level is None:
        raise InvalidInput(f"scale {scale!r} has no numeric levels", field=scale)
    return float(level)


def outcome_value(
    derivation: Derivation | str, scale: str, final: Answer, intake: Answer = None
) -> float | None:
    """The outcome of one household; ``None`` when it cannot be observed."""
    derivation = Derivation(derivation)
    if final is None:
        return None
    if derivation is Derivation.IN_WORK_OR_EDUCATION:
        codes = [final] if isinstance(final, str) else final
        if not isinstance(codes, Sequence):
            raise InvalidInput(f"{final!r} is not a work status", field=scale)
        return 1.0 if WORK_OR_EDUCATION.intersection(codes) else 0.0
    final_level = answer_level(scale, final)
    if derivation is Derivation.FINAL:
        return final_level
    intake_level = answer_level(scale, intake)
    if final_level is None or intake_level is None:
        return None
    return final_level - intake_level


def age_band(age: int | None) -> int | None:
    """The lower bound of the 5-year band of ``age`` (34 -> 30, 35 -> 35)."""
    if age is None:
        return None
    if age < 0:
        raise InvalidInput(f"age {age} is negative", field="age")
    return age - age % 5


def postcode_area(postcode: str) -> str:
    """The first two digits of a postcode (``"1315 AB"`` -> ``"13"``); empty when unknown."""
    digits = "".join(ch for ch in postcode if ch.isdigit())
    return digits[:2] if len(digits) >= 2 else ""
