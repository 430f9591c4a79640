"""Checking one survey answer against its item's scale (no Django).

A value is stored as the evaluation contract says: an option code (``str``) for a
single-choice scale, a list of option codes for a select-multiple scale, a number for
``number`` and a string for ``text``; ``None`` is a blank answer. Every page, interview form
and importer goes through :func:`clean_answer`, so they accept and refuse the same values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from welcomematch.core.scales import SCALES

__all__ = [
    "FREE_SCALES",
    "NUMBER",
    "TEXT",
    "AnswerProblem",
    "clean_answer",
    "is_known_scale",
]

NUMBER = "number"
TEXT = "text"
#: Scales without options: a non-negative number, free text.
FREE_SCALES: tuple[str, ...] = (NUMBER, TEXT)
#: Largest number accepted for a ``number`` item (a count of people).
MAX_NUMBER = 10_000
MAX_TEXT = 4_000

UNKNOWN_SCALE = "unknown answer scale {scale!r}"
UNKNOWN_OPTION = "{value!r} is not an option of scale {scale!r} (options: {options})"
NOT_ONE_OPTION = "choose one option of scale {scale!r}, not a list"
TOO_MANY = "choose at most {max} options, not {count}"
NONE_WITH_OTHERS = "'none' cannot be combined with other options"
NOT_A_NUMBER = "{value!r} is not a number"
NEGATIVE = "the number must be 0 or more, not {value}"
TOO_LARGE = "the number must be at most {max}, not {value}"
TEXT_TOO_LONG = "the text must be at most {max} characters"


class AnswerProblem(ValueError):
    """An answer that does not fit its scale; the message says why."""


def is_known_scale(code: str) -> bool:
    return code in SCALES or code in FREE_SCALES


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    return isinstance(value, (list, tuple)) and len(value) == 0


def _number(value: object) -> float | int:
    if isinstance(value, bool):
        raise AnswerProblem(NOT_A_NUMBER.format(value=value))
    if isinstance(value, (int, float)):
        number: float = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            raise AnswerProblem(NOT_A_NUMBER.format(value=value)) from None
    else:
        raise AnswerProblem(NOT_A_NUMBER.format(value=value))
    if math.isnan(number) or math.isinf(number):
        raise AnswerProblem(NOT_A_NUMBER.format(value=value))
    if number < 0:
        raise AnswerProblem(NEGATIVE.format(value=value))
    if number > MAX_NUMBER:
        raise AnswerProblem(TOO_LARGE.format(max=MAX_NUMBER, value=value))
    return int(number) if number.is_integer() else number


def clean_answer(scale_code: str, value: object) -> str | list[str] | int | float | None:
    """The stored form of ``value`` for an item of scale ``scale_code``; ``None`` when blank.

    Raises :class:`AnswerProblem` when the value does not fit the scale.
    """
    if _blank(value):
        return None
    if scale_code == NUMBER:
        return _number(value)
    if scale_code == TEXT:
        text = str(value).strip()
        if len(text) > MAX_TEXT:
            raise AnswerProblem(TEXT_TOO_LONG.format(max=MAX_TEXT))
        return text
    try:
        scale = SCALES[scale_code]
    except KeyError:
        raise AnswerProblem(UNKNOWN_SCALE.format(scale=scale_code)) from None
    options = ", ".join(scale.codes)
    if scale.multiple:
        raw: Sequence[object]
        if isinstance(value, str):
            raw = value.split()
        elif isinstance(value, (list, tuple)):
            raw = value
        else:
            raise AnswerProblem(
                UNKNOWN_OPTION.format(value=value, scale=scale_code, options=options)
            )
        chosen: list[str] = []
        for code in raw:
            text = str(code).strip()
            if text not in scale.codes:
                raise AnswerProblem(
                    UNKNOWN_OPTION.format(value=text, scale=scale_code, options=options)
                )
            if text not in chosen:
                chosen.append(text)
        if scale.max_choices is not None and len(chosen) > scale.max_choices:
            raise AnswerProblem(TOO_MANY.format(max=scale.max_choices, count=len(chosen)))
        if "none" in chosen and len(chosen) > 1:
            raise AnswerProblem(NONE_WITH_OTHERS)
        # Stored in the scale's order, so equal answers are equal values.
        return [code for code in scale.codes if code in chosen]
    if isinstance(value, (list, tuple)):
        raise AnswerProblem(NOT_ONE_OPTION.format(scale=scale_code))
    text = str(value).strip()
    if text not in scale.codes:
        raise AnswerProblem(UNKNOWN_OPTION.format(value=text, scale=scale_code, options=options))
    return text
