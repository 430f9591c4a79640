"""What a valid round is: the one definition of the round-file contract's value rules.

A round is valid (``docs/round-format.md``, "Round file") when

* ``parameters``: ``max_distance_km`` is a finite number > 0, ``mechanism`` is ``"optimal"``
  or ``"stable"``, ``control_arm`` is true or false and false with ``"stable"``, ``seed`` is
  an integer >= 0;
* every participant has a non-empty ``id`` unique on its side, ``lat`` in [-90, 90] and
  ``lon`` in [-180, 180], a level (``capacity`` of a group, ``vulnerability`` of a household)
  that is an integer in [0, :data:`MAX_LEVEL`], a non-empty ``type``, a ``ranking`` of
  distinct non-empty strings, and ``exclude`` ids that exist on the other side;
* every text is valid Unicode (no lone surrogate, which no file can encode).

The round-file reader (:mod:`welcomematch.core.roundfile`) checks each value of a file with
these functions as it parses it, and :func:`validate_round` checks a :class:`Round` built in
code (the web application, scripts) with the same functions, so a rule and its message exist
once. Every error is an :class:`~welcomematch.core.errors.InvalidInput` whose one-line
message names the record (``group G01``, ``household H07``, ``groups[3]`` when the id itself
is unusable, ``parameters``) and the field.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Iterable
from typing import Any, NoReturn

import numpy as np

from welcomematch.core.errors import InvalidInput
from welcomematch.core.model import Group, Household, Mechanism, Parameters, Round

__all__ = [
    "DUPLICATE_ID",
    "LISTED_TWICE",
    "MAX_LEVEL",
    "MUST_BE_BOOLEAN",
    "MUST_BE_DISTANCE",
    "MUST_BE_INTEGER",
    "MUST_BE_MECHANISM",
    "MUST_BE_NUMBER_IN",
    "MUST_BE_TEXT",
    "MUST_BE_TEXT_ITEM",
    "MUST_BE_UNICODE",
    "STABLE_WITHOUT_CONTROL_ARM",
    "UNKNOWN_EXCLUDE",
    "check_integer",
    "check_number",
    "check_parameters",
    "check_relations",
    "check_strings",
    "check_text",
    "fail",
    "is_unicode",
    "plain_values_ok",
    "show",
    "unknown_exclude",
    "validate_round",
]

#: Largest capacity or vulnerability level (and seed): the engine holds them as int64.
MAX_LEVEL = (1 << 63) - 1

MUST_BE_NUMBER_IN = "must be a number in [{low:g}, {high:g}], got {value}"
MUST_BE_INTEGER = "must be an integer >= {minimum}, got {value}"
MUST_BE_INTEGER_AT_MOST = "must be an integer in [{minimum}, {maximum}], got {value}"
MUST_BE_TEXT = "must be a non-empty string, got {value}"
MUST_BE_TEXT_ITEM = "item {position} must be a non-empty string, got {value}"
MUST_BE_UNICODE = "must be valid Unicode text, got {value} (a lone surrogate)"
MUST_BE_LIST = "must be a list, got {value}"
LISTED_TWICE = "{what} {value} is listed twice"
DUPLICATE_ID = "duplicate id"
UNKNOWN_EXCLUDE = "unknown {side} id {value}"
MUST_BE_DISTANCE = "must be a number > 0, got {value}"
MUST_BE_MECHANISM = "must be one of {choices}, got {value}"
MUST_BE_BOOLEAN = "must be true or false, got {value}"
STABLE_WITHOUT_CONTROL_ARM = 'must be false with mechanism "stable"'

_SURROGATE = re.compile("[\ud800-\udfff]")
_MECHANISMS = frozenset(m.value for m in Mechanism)


def show(value: Any) -> str:
    """The offending value as JSON, cut short so that a message stays one printable line."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=True)
    except (TypeError, ValueError):
        try:
            text = repr(value)
        except ValueError:  # an integer too long to print
            text = f"an integer of {value.bit_length()} bits"
    if _SURROGATE.search(text):
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= 60 else text[:57] + "..."


def fail(record: str | None, field: str | None, message: str) -> NoReturn:
    """Raise the :class:`InvalidInput` of ``record`` and ``field``."""
    raise InvalidInput(message, record=record, field=field)


def is_unicode(value: str) -> bool:
    """Whether ``value`` can be written as UTF-8 (holds no lone surrogate)."""
    return value.isascii() or _SURROGATE.search(value) is None


def check_text(value: Any, record: str, field: str) -> str:
    """A non-empty string of valid Unicode (an id, a type)."""
    if not isinstance(value, str) or not value:
        fail(record, field, MUST_BE_TEXT.format(value=show(value)))
    if not is_unicode(value):
        fail(record, field, MUST_BE_UNICODE.format(value=show(value)))
    return value


def check_integer(value: Any, record: str, field: str, minimum: int = 0) -> int:
    """An integer in ``[minimum, MAX_LEVEL]`` (a boolean is not an integer here)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        fail(record, field, MUST_BE_INTEGER.format(minimum=minimum, value=show(value)))
    if value > MAX_LEVEL:
        fail(
            record,
            field,
            MUST_BE_INTEGER_AT_MOST.format(minimum=minimum, maximum=MAX_LEVEL, value=show(value)),
        )
    return int(value)


def check_number(value: Any, record: str, field: str, low: float, high: float) -> float:
    """A finite number in ``[low, high]``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        fail(record, field, MUST_BE_NUMBER_IN.format(low=low, high=high, value=show(value)))
    return float(value)


def check_strings(items: Any, record: str, field: str, what: str) -> tuple[str, ...]:
    """Distinct non-empty strings (a ranking, or the ids of an ``exclude``)."""
    if not isinstance(items, list | tuple | frozenset | set):
        fail(record, field, MUST_BE_LIST.format(value=show(items)))
    seen: set[str] = set()
    ordered = items if isinstance(items, list | tuple) else sorted(items, key=str)
    for position, item in enumerate(ordered):
        if not isinstance(item, str) or not item:
            fail(record, field, MUST_BE_TEXT_ITEM.format(position=position, value=show(item)))
        if not is_unicode(item):
            fail(record, field, MUST_BE_UNICODE.format(value=show(item)))
        if item in seen:
            fail(record, field, LISTED_TWICE.format(what=what, value=show(item)))
        seen.add(item)
    return tuple(ordered)


def check_parameters(
    *, max_distance_km: Any, mechanism: Any, control_arm: Any, seed: Any
) -> Parameters:
    """The parameters, checked together (a control arm needs mechanism ``"optimal"``)."""
    record = "parameters"
    if (
        isinstance(max_distance_km, bool)
        or not isinstance(max_distance_km, int | float)
        or not math.isfinite(max_distance_km)
        or max_distance_km <= 0
    ):
        fail(record, "max_distance_km", MUST_BE_DISTANCE.format(value=show(max_distance_km)))
    if not isinstance(mechanism, str) or mechanism not in _MECHANISMS:
        choices = ", ".join(f'"{m.value}"' for m in Mechanism)
        fail(record, "mechanism", MUST_BE_MECHANISM.format(choices=choices, value=show(mechanism)))
    if not isinstance(control_arm, bool):
        fail(record, "control_arm", MUST_BE_BOOLEAN.format(value=show(control_arm)))
    chosen = Mechanism(mechanism)
    if control_arm and chosen is Mechanism.STABLE:
        fail(record, "control_arm", STABLE_WITHOUT_CONTROL_ARM)
    return Parameters(
        max_distance_km=float(max_distance_km),
        mechanism=chosen,
        control_arm=control_arm,
        seed=check_integer(seed, record, "seed"),
    )


def unknown_exclude(side: str, ident: str, other: str) -> InvalidInput:
    """The error of an ``exclude`` id that does not exist on the other side.

    ``side`` is ``"group"`` or ``"household"``: the side of the participant ``ident``.
    """
    other_side = "household" if side == "group" else "group"
    return InvalidInput(
        UNKNOWN_EXCLUDE.format(side=other_side, value=show(other)),
        record=f"{side} {ident}",
        field="exclude",
    )


def _unique(ids: Iterable[str], side: str) -> set[str]:
    seen: set[str] = set()
    for ident in ids:
        if ident in seen:
            fail(f"{side} {ident}", "id", DUPLICATE_ID)
        seen.add(ident)
    return seen


def check_relations(groups: Collection[Group], households: Collection[Household]) -> None:
    """Ids are unique on each side, and every ``exclude`` id exists on the other side."""
    group_ids = _unique((g.id for g in groups), "group")
    household_ids = _unique((h.id for h in households), "household")
    for g in groups:
        if g.exclude and not g.exclude <= household_ids:
            raise unknown_exclude("group", g.id, min(g.exclude - household_ids))
    for h in households:
        if h.exclude and not h.exclude <= group_ids:
            raise unknown_exclude("household", h.id, min(h.exclude - group_ids))


def _clean(items: Any, seen: dict[Any, bool]) -> bool:
    """Whether ``items`` (a ranking tuple or an exclude set) holds distinct non-empty
    strings; ``seen`` remembers the verdicts (a round has few distinct rankings)."""
    try:
        ok = seen.get(items)
    except TypeError:
        return False
    if ok is None:
        ok = all(type(x) is str and x and is_unicode(x) for x in items)
        seen[items] = ok
    return ok


def plain_values_ok(ident: Any, lat: Any, lon: Any, level: Any, type_: Any) -> bool:
    """Whether a participant's scalar values are valid and of the plain types (``str``,
    ``float``, ``int``): one tight test before the detailed checks, which name the field."""
    return (
        type(ident) is str
        and bool(ident)
        and is_unicode(ident)
        and type(lat) is float
        and -90.0 <= lat <= 90.0
        and type(lon) is float
        and -180.0 <= lon <= 180.0
        and type(level) is int
        and 0 <= level <= MAX_LEVEL
        and type(type_) is str
        and bool(type_)
        and is_unicode(type_)
    )


def _participant_ok(p: Group | Household, level: Any, seen: dict[Any, bool]) -> bool:
    """One tight pass over a participant of the usual types: ``True`` if it is valid."""
    return (
        plain_values_ok(p.id, p.lat, p.lon, level, p.type)
        and type(p.ranking) is tuple
        and type(p.exclude) is frozenset
        and _clean(p.ranking, seen)
        and len(set(p.ranking)) == len(p.ranking)
        and _clean(p.exclude, seen)
    )


def _check_participant(p: Group | Household, side: str, position: int) -> None:
    """Every value rule of one participant; raises the first that fails."""
    check_text(p.id, f"{side}s[{position}]", "id")
    record = f"{side} {p.id}"
    check_number(p.lat, record, "lat", -90.0, 90.0)
    check_number(p.lon, record, "lon", -180.0, 180.0)
    if isinstance(p, Group):
        check_integer(p.capacity, record, "capacity")
    else:
        check_integer(p.vulnerability, record, "vulnerability")
    check_text(p.type, record, "type")
    check_strings(p.ranking, record, "ranking", "type")
    check_strings(p.exclude, record, "exclude", "id")


def validate_round(round: Round) -> None:
    """Raise :class:`InvalidInput` (naming the record and field) if ``round`` is not valid.

    The same rules and messages as reading a round file; used by
    :func:`welcomematch.core.engine.run_round` on every round it runs.
    """
    p = round.parameters
    check_parameters(
        max_distance_km=p.max_distance_km,
        mechanism=p.mechanism,
        control_arm=p.control_arm,
        seed=p.seed,
    )
    seen: dict[Any, bool] = {}
    sides: tuple[tuple[str, tuple[Group | Household, ...]], ...] = (
        ("group", round.groups),
        ("household", round.households),
    )
    for side, items in sides:
        for position, item in enumerate(items):
            level = item.capacity if isinstance(item, Group) else item.vulnerability
            if not _participant_ok(item, level, seen):
                _check_participant(item, side, position)
    check_relations(round.groups, round.households)
