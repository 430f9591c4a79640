"""The evaluation report: counts and shares of survey answers per item and side (no Django).

Implements "What the report computes" of the evaluation contract (``evaluation.md``) and its
JSON shape, format ``welcomematch.report/1``. For one programme, optionally one city and one
period, and one survey moment, for each item and side:

``responses``
    the respondents of that side who submitted that moment's survey (one
    :class:`ResponseRecord` each; in-progress responses are not passed in);
``answered``
    those of them who gave the item a value; a value is blank when it is absent, ``None``, an
    empty or whitespace-only string, or an empty selection (the rule of
    :func:`welcomematch.core.survey_answers.clean_answer`, which also checks every answer);
``missing``
    ``responses - answered``;
``counts``
    per option code of the item's scale, every option listed in the scale's order, zeros
    included; for a select-multiple scale the number of answering respondents who ticked the
    option (a code ticked twice by one respondent counts once);
``shares``
    ``count / answered`` per option (select multiple: the share of answering respondents who
    ticked it, so the shares may add up to more than 1), as full-precision floats;
``agree_share`` (likert5)
    share of ``strongly_agree`` + ``somewhat_agree``;
``satisfied_share`` and ``dissatisfied_share`` (satisfaction5)
    share of ``very_satisfied`` + ``somewhat_satisfied``, and of ``somewhat_dissatisfied`` +
    ``very_dissatisfied``;
``mean_level`` (cefr)
    the mean of the numeric levels (``none`` = 0, ``A1`` = 1 ... ``C2`` = 6) of the answers;
    for the newcomer side of a moment after intake, ``intake`` holds the same figures
    (``responses``, ``answered``, ``missing``, ``counts``, ``shares``, ``mean_level``) for the
    newcomers' intake responses, for comparison.

When nobody answered an item (``answered`` = 0) its counts are all 0 and every share, the
agree, satisfied and dissatisfied shares and the mean level are ``null`` (``None``): a
fraction of nobody is undefined, not zero.

Items of scale ``number`` get ``mean``, ``median``, ``min`` and ``max`` of the answers (``null``
when nobody answered) instead of counts; items of scale ``text`` only ``answered`` and
``missing`` (free text is read in the application, not summed up).

Items are reported in the order of the ``items`` argument. A report filtered to a period
carries ``period`` (``{"from": ..., "to": ...}``, ISO dates); an unfiltered one has no such key.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from welcomematch.core.errors import InvalidInput
from welcomematch.core.scales import CEFR_LEVELS, MOMENTS, SCALES, SIDES
from welcomematch.core.survey_answers import (
    NUMBER,
    TEXT,
    AnswerProblem,
    clean_answer,
    is_known_scale,
)

__all__ = [
    "FORMAT",
    "AnswerValue",
    "ItemSpec",
    "ResponseRecord",
    "compute_report",
]

FORMAT = "welcomematch.report/1"
AnswerValue = str | tuple[str, ...] | float | None

AGREE = ("strongly_agree", "somewhat_agree")
SATISFIED = ("very_satisfied", "somewhat_satisfied")
DISSATISFIED = ("somewhat_dissatisfied", "very_dissatisfied")

ERR_UNKNOWN_SIDE = "unknown side {side!r}; expected one of {sides}"
ERR_UNKNOWN_MOMENT = "unknown moment {moment!r}; expected one of {moments}"
ERR_UNKNOWN_SCALE = "unknown scale {scale!r}"
ERR_DUPLICATE_ITEM = "item {code!r} is listed twice for side {side!r}"


@dataclass(frozen=True, slots=True)
class ItemSpec:
    """An item as the report needs it: its code, the side that answers it, its scale."""

    code: str
    side: str
    scale: str


@dataclass(frozen=True, slots=True)
class ResponseRecord:
    """One submitted response: the respondent's side and the answers by item code.

    Values: an option code for a single-choice scale, a tuple of option codes for a
    select-multiple scale, a number for ``number``, a string for ``text``; ``None`` or no key
    for a blank.
    """

    side: str
    answers: Mapping[str, AnswerValue]


def compute_report(
    *,
    programme: str,
    moment: str,
    items: Sequence[ItemSpec],
    responses: Sequence[ResponseRecord],
    city: str | None = None,
    period: tuple[date | None, date | None] | None = None,
    intake_responses: Sequence[ResponseRecord] = (),
) -> dict[str, Any]:
    """The ``welcomematch.report/1`` report of ``responses`` to ``items`` (see module doc).

    Parameters
    ----------
    programme, moment, city
        Echoed in the report (``city`` ``None`` for all cities).
    items
        The items to report, in report order; a code may appear once per side.
    responses
        The submitted responses of the moment, both sides.
    period
        ``(from, to)`` when the responses were filtered to a period (either end may be open).
    intake_responses
        The newcomers' intake responses, for the intake comparison of CEFR items.

    Raises
    ------
    InvalidInput
        For an unknown side, moment or scale, an item listed twice for a side, or an answer
        that does not fit its item's scale (naming the response by its position and the item).
    """
    if moment not in MOMENTS:
        raise InvalidInput(
            ERR_UNKNOWN_MOMENT.format(moment=moment, moments=", ".join(MOMENTS)), field="moment"
        )
    seen: set[tuple[str, str]] = set()
    for spec in items:
        _check_side(spec.side, record=f"item {spec.code}")
        if not is_known_scale(spec.scale):
            raise InvalidInput(
                ERR_UNKNOWN_SCALE.format(scale=spec.scale), record=f"item {spec.code}"
            )
        if (spec.code, spec.side) in seen:
            raise InvalidInput(ERR_DUPLICATE_ITEM.format(code=spec.code, side=spec.side))
        seen.add((spec.code, spec.side))
    by_side = _by_side(responses, label="response")
    intake_by_side = _by_side(intake_responses, label="intake response")
    report: dict[str, Any] = {
        "format": FORMAT,
        "programme": programme,
        "moment": moment,
        "city": city,
    }
    if period is not None:
        start, end = period
        report["period"] = {
            "from": start.isoformat() if start else None,
            "to": end.isoformat() if end else None,
        }
    report["responses"] = {side: len(by_side[side]) for side in SIDES}
    entries: list[dict[str, Any]] = []
    for spec in items:
        entry = _item_entry(spec, by_side[spec.side], label="response")
        if spec.scale == "cefr" and spec.side == "newcomer" and moment != "intake":
            intake = intake_by_side[spec.side]
            comparison = _item_entry(spec, intake, label="intake response")
            for key in ("item", "side", "scale"):
                del comparison[key]
            entry["intake"] = {"responses": len(intake), **comparison}
        entries.append(entry)
    report["items"] = entries
    return report


def _check_side(side: str, *, record: str) -> None:
    if side not in SIDES:
        raise InvalidInput(
            ERR_UNKNOWN_SIDE.format(side=side, sides=", ".join(SIDES)), record=record, field="side"
        )


def _by_side(
    responses: Sequence[ResponseRecord], *, label: str
) -> dict[str, list[tuple[int, ResponseRecord]]]:
    grouped: dict[str, list[tuple[int, ResponseRecord]]] = {side: [] for side in SIDES}
    for number, response in enumerate(responses, start=1):
        _check_side(response.side, record=f"{label} {number}")
        grouped[response.side].append((number, response))
    return grouped


def _item_entry(
    spec: ItemSpec, responses: Sequence[tuple[int, ResponseRecord]], *, label: str
) -> dict[str, Any]:
    values: list[AnswerValue] = []
    for number, response in responses:
        value = _checked(spec, response.answers.get(spec.code), record=f"{label} {number}")
        if value is not None:
            values.append(value)
    answered = len(values)
    entry: dict[str, Any] = {
        "item": spec.code,
        "side": spec.side,
        "scale": spec.scale,
        "answered": answered,
        "missing": len(responses) - answered,
    }
    if spec.scale == TEXT:
        return entry
    if spec.scale == NUMBER:
        numbers = [float(v) for v in values if isinstance(v, int | float)]
        entry["mean"] = statistics.fmean(numbers) if numbers else None
        entry["median"] = float(statistics.median(numbers)) if numbers else None
        entry["min"] = min(numbers) if numbers else None
        entry["max"] = max(numbers) if numbers else None
        return entry
    scale = SCALES[spec.scale]
    counts = dict.fromkeys(scale.codes, 0)
    for value in values:
        ticked = set(value) if isinstance(value, tuple) else {str(value)}
        for code in ticked:
            counts[code] += 1
    entry["counts"] = counts
    entry["shares"] = {code: _share(count, answered) for code, count in counts.items()}
    if scale.code == "likert5":
        entry["agree_share"] = _share(sum(counts[c] for c in AGREE), answered)
    elif scale.code == "satisfaction5":
        entry["satisfied_share"] = _share(sum(counts[c] for c in SATISFIED), answered)
        entry["dissatisfied_share"] = _share(sum(counts[c] for c in DISSATISFIED), answered)
    elif scale.code == "cefr":
        levels = sum(CEFR_LEVELS[code] * count for code, count in counts.items())
        entry["mean_level"] = levels / answered if answered else None
    return entry


def _share(count: int, answered: int) -> float | None:
    return count / answered if answered else None


def _checked(spec: ItemSpec, value: object, *, record: str) -> AnswerValue:
    """The answer in its stored form, checked by the one rule every page and importer uses."""
    try:
        cleaned = clean_answer(spec.scale, value)
    except AnswerProblem as problem:
        raise InvalidInput(str(problem), record=record, field=spec.code) from None
    if isinstance(cleaned, list):
        return tuple(cleaned)
    return cleaned
