"""Round files (``welcomematch.round/1``) in, result files (``welcomematch.result/1``) out.

The contract is ``docs/round-format.md`` (shared docs). This module is its only parser: every
way a file can break the contract raises :class:`~welcomematch.core.errors.InvalidInput` with a
one-line message that names the participant (``group G01``, ``household H07``,
``groups[3]`` when the id itself is unusable), ``parameters`` or ``round`` and the field, e.g.
``household H07: vulnerability: must be an integer >= 0, got -1``.

Writing is deterministic: the same :class:`Round` or :class:`Result` always gives the same
bytes. Keys follow the contract's order, lists are sorted by id (code-point order; matches and
controls by group id), every list item sits on its own line so files diff cleanly, and the
text ends with a newline. Distances in results are rounded to 3 decimals (metres), the
total distance likewise; coordinates and parameters are written exactly as held.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn

from welcomematch.core.errors import InvalidInput
from welcomematch.core.model import (
    DEFAULT_MAX_DISTANCE_KM,
    RESULT_FORMAT,
    ROUND_FORMAT,
    Group,
    Household,
    Mechanism,
    Pair,
    Parameters,
    Result,
    Round,
    Summary,
    Unmatched,
    UnmatchedReason,
)
from welcomematch.core.validation import (
    check_integer,
    check_number,
    check_parameters,
    check_relations,
    check_strings,
    check_text,
    fail,
    plain_values_ok,
    show,
)
from welcomematch.core.validation import is_unicode as _unicode

#: Decimals kept for distances in result files (3 = metres).
DISTANCE_DECIMALS = 3

_ROUND_KEYS = ("format", "parameters", "groups", "households")
_PARAMETER_KEYS = ("max_distance_km", "mechanism", "control_arm", "seed")
_GROUP_KEYS = ("id", "lat", "lon", "capacity", "type", "ranking", "exclude")
_HOUSEHOLD_KEYS = ("id", "lat", "lon", "vulnerability", "type", "ranking", "exclude")
_PAIR_KEYS = ("group", "household", "distance_km", "group_rank", "household_rank")
_UNMATCHED_KEYS = ("id", "reason", "eligible_partners")
_SUMMARY_KEYS = (
    "groups",
    "households",
    "eligible_pairs",
    "matched",
    "controls",
    "preference_cost",
    "total_distance_km",
    "solver",
    "version",
)
_RESULT_KEYS = (
    "format",
    "parameters",
    "matches",
    "controls",
    "unmatched_groups",
    "unmatched_households",
    "summary",
)


# --------------------------------------------------------------------------- reading


_show = show
_fail = fail
_integer = check_integer
_number = check_number
_string = check_text
_strings = check_strings


def _reject_constant(name: str) -> NoReturn:
    raise InvalidInput(f"not a finite number: {name} is not allowed", record="round")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    fast = dict(pairs)
    if len(fast) == len(pairs):  # no key twice (the common case, checked in C)
        return fast
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise InvalidInput(f"key {_show(key)} appears twice in one object", record="round")
        result[key] = value
    return result


class _LongInteger:
    """An integer of more digits than Python converts (its digit limit): never valid, so it
    is kept as this marker and refused by the check of its field, which names the field."""

    def __init__(self, digits: str) -> None:
        self.digits = len(digits.lstrip("-"))

    def __repr__(self) -> str:
        return f"an integer of {self.digits} digits"


def _integer_or_marker(text: str) -> int | _LongInteger:
    try:
        return int(text)
    except ValueError:
        return _LongInteger(text)


def _parse_json(text: str | bytes, what: str) -> Any:
    try:
        try:
            return json.loads(
                text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicate_keys
            )
        except ValueError as exc:
            if isinstance(exc, json.JSONDecodeError | UnicodeDecodeError):
                raise
            # An integer beyond Python's digit limit: parsed again, keeping it as a marker.
            return json.loads(
                text,
                parse_constant=_reject_constant,
                parse_int=_integer_or_marker,
                object_pairs_hook=_no_duplicate_keys,
            )
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", record=what
        ) from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"not UTF-8 text: {exc.reason}", record=what) from None
    except RecursionError:
        raise InvalidInput("not valid JSON: nested too deeply", record=what) from None


def _check_keys(
    obj: Mapping[str, Any], record: str, allowed: Iterable[str], required: Iterable[str]
) -> None:
    allowed_set = set(allowed)
    for key in obj:
        if key not in allowed_set:
            _fail(record, str(key), "unknown field")
    for key in required:
        if key not in obj:
            _fail(record, key, "missing required field")


def _object(value: Any, record: str, field: str | None) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        _fail(record, field, f"must be an object, got {_show(value)}")
    return value


def _list(value: Any, record: str, field: str) -> list[Any]:
    if not isinstance(value, list):
        _fail(record, field, f"must be a list, got {_show(value)}")
    return value


def _parameters(value: Any) -> Parameters:
    record = "parameters"
    obj = _object(value, record, None)
    _check_keys(obj, record, _PARAMETER_KEYS, ())
    return check_parameters(
        max_distance_km=obj.get("max_distance_km", DEFAULT_MAX_DISTANCE_KM),
        mechanism=obj.get("mechanism", Mechanism.OPTIMAL.value),
        control_arm=obj.get("control_arm", False),
        seed=obj.get("seed", 0),
    )


def _participant_id(obj: Mapping[str, Any], side: str, position: int) -> str:
    """The id, or an error naming the position (``groups[3]``) when there is no usable id."""
    fallback = f"{side}s[{position}]"
    if "id" not in obj:
        _fail(fallback, "id", "missing required field")
    return _string(obj["id"], fallback, "id")


def _group(value: Any, position: int) -> Group:
    obj = _object(value, f"groups[{position}]", None)
    gid = _participant_id(obj, "group", position)
    record = f"group {gid}"
    _check_keys(obj, record, _GROUP_KEYS, _GROUP_KEYS[:-1])
    return Group(
        id=gid,
        lat=_number(obj["lat"], record, "lat", -90.0, 90.0),
        lon=_number(obj["lon"], record, "lon", -180.0, 180.0),
        capacity=_integer(obj["capacity"], record, "capacity"),
        type=_string(obj["type"], record, "type"),
        ranking=_strings(obj["ranking"], record, "ranking", "type"),
        exclude=frozenset(_strings(obj.get("exclude", []), record, "exclude", "id")),
    )


def _household(value: Any, position: int) -> Household:
    obj = _object(value, f"households[{position}]", None)
    hid = _participant_id(obj, "household", position)
    record = f"household {hid}"
    _check_keys(obj, record, _HOUSEHOLD_KEYS, _HOUSEHOLD_KEYS[:-1])
    return Household(
        id=hid,
        lat=_number(obj["lat"], record, "lat", -90.0, 90.0),
        lon=_number(obj["lon"], record, "lon", -180.0, 180.0),
        vulnerability=_integer(obj["vulnerability"], record, "vulnerability"),
        type=_string(obj["type"], record, "type"),
        ranking=_strings(obj["ranking"], record, "ranking", "type"),
        exclude=frozenset(_strings(obj.get("exclude", []), record, "exclude", "id")),
    )


_GROUP_KEY_SET = frozenset(_GROUP_KEYS)
_HOUSEHOLD_KEY_SET = frozenset(_HOUSEHOLD_KEYS)


def _clean_strings(items: Any, seen: dict[tuple[Any, ...], bool]) -> tuple[str, ...] | None:
    """``items`` as a tuple if it is a list of distinct non-empty strings (what
    :func:`_strings` accepts), else ``None``. ``seen`` remembers lists already judged: a
    round has few distinct rankings, so most are judged once. (A tuple of strings compares
    equal only to the same strings, so a remembered verdict is never borrowed wrongly.)
    """
    if type(items) is not list:
        return None
    if not items:
        return ()
    key = tuple(items)
    try:
        ok = seen.get(key)
    except TypeError:  # an unhashable item (a list, an object): not a string anyway
        return None
    if ok is None:
        ok = all(type(item) is str and item and _unicode(item) for item in key) and len(
            set(key)
        ) == len(key)
        seen[key] = ok
    return key if ok else None


def _fast_participant(
    value: Any,
    key_set: frozenset[str],
    level_key: str,
    cls: type[Any],
    seen: dict[tuple[Any, ...], bool],
) -> Any:
    """The participant of a well-formed record, checked in one tight pass; ``None`` if any
    check fails, and the caller then runs the detailed checker, which raises the error.

    Accepts exactly what the detailed checker accepts with JSON's own types (``float``
    coordinates, ``int`` levels); anything else (an integer coordinate, a missing field, a
    wrong type) goes to the detailed checker, so the result and every message are the same.
    """
    if type(value) is not dict or not value.keys() <= key_set:
        return None
    ident = value.get("id")
    lat = value.get("lat")
    lon = value.get("lon")
    level = value.get(level_key)
    type_ = value.get("type")
    ranking = value.get("ranking")
    exclude = value.get("exclude", [])
    if plain_values_ok(ident, lat, lon, level, type_):
        ranks = _clean_strings(ranking, seen)
        excludes = _clean_strings(exclude, seen)
        if ranks is not None and excludes is not None:
            return cls(ident, lat, lon, level, type_, ranks, frozenset(excludes))
    return None


def round_from_dict(data: Any) -> Round:
    """Validate already-parsed JSON data against ``welcomematch.round/1``."""
    obj = _object(data, "round", None)
    if "format" not in obj:
        _fail("round", "format", "missing required field")
    if obj["format"] != ROUND_FORMAT:
        _fail("round", "format", f'must be "{ROUND_FORMAT}", got {_show(obj["format"])}')
    _check_keys(obj, "round", _ROUND_KEYS, ("groups", "households"))
    parameters = _parameters(obj.get("parameters", {}))
    seen: dict[tuple[Any, ...], bool] = {}
    groups = tuple(
        _fast_participant(item, _GROUP_KEY_SET, "capacity", Group, seen) or _group(item, position)
        for position, item in enumerate(_list(obj["groups"], "round", "groups"))
    )
    households = tuple(
        _fast_participant(item, _HOUSEHOLD_KEY_SET, "vulnerability", Household, seen)
        or _household(item, position)
        for position, item in enumerate(_list(obj["households"], "round", "households"))
    )
    check_relations(groups, households)
    return Round(parameters=parameters, groups=groups, households=households)


def loads_round(text: str | bytes) -> Round:
    """Parse and validate the text of a round file."""
    return round_from_dict(_parse_json(text, "round"))


def load_round(path: str | Path) -> Round:
    """Read and validate a round file; an unreadable file is an :class:`InvalidInput` too."""
    return loads_round(_read(path, "round"))


def _read(path: str | Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", record=what) from None


# --------------------------------------------------------------------------- writing


# One encoder for every value written: ``json.dumps`` with options builds a new encoder per
# call, which costs more than encoding a small object (a result has one per pair).
_SCALAR = json.JSONEncoder(ensure_ascii=False, allow_nan=False)
_INLINE = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(", ", ": "))


def _scalar(value: object) -> str:
    return _SCALAR.encode(value)


def _inline(obj: Mapping[str, object]) -> str:
    """One JSON object on one line, keys in the mapping's order (``{"a": 1, "b": [1, 2]}``)."""
    return _INLINE.encode(obj)


class _Lines(list[str]):
    """List items already written as one-line JSON text (see :func:`_pair_line`)."""


def _document(sections: Mapping[str, object]) -> str:
    """A top-level object: scalars and small objects inline, lists one item per line."""
    lines = ["{"]
    items = list(sections.items())
    for index, (key, value) in enumerate(items):
        comma = "," if index < len(items) - 1 else ""
        if isinstance(value, list):
            if not value:
                lines.append(f"  {_scalar(key)}: []{comma}")
                continue
            lines.append(f"  {_scalar(key)}: [")
            texts = value if isinstance(value, _Lines) else [_inline(item) for item in value]
            lines.append(",\n".join(f"    {text}" for text in texts))
            lines.append(f"  ]{comma}")
        elif isinstance(value, dict):
            lines.append(f"  {_scalar(key)}: {_inline(value)}{comma}")
        else:
            lines.append(f"  {_scalar(key)}: {_scalar(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _parameters_dict(parameters: Parameters) -> dict[str, object]:
    return {
        "max_distance_km": float(parameters.max_distance_km),
        "mechanism": parameters.mechanism.value,
        "control_arm": parameters.control_arm,
        "seed": parameters.seed,
    }


def round_to_dict(round_: Round) -> dict[str, object]:
    """The round as plain JSON data, keys in contract order, participants sorted by id."""
    return {
        "format": ROUND_FORMAT,
        "parameters": _parameters_dict(round_.parameters),
        "groups": [
            {
                "id": g.id,
                "lat": float(g.lat),
                "lon": float(g.lon),
                "capacity": g.capacity,
                "type": g.type,
                "ranking": list(g.ranking),
                "exclude": sorted(g.exclude),
            }
            for g in sorted(round_.groups, key=lambda g: g.id)
        ],
        "households": [
            {
                "id": h.id,
                "lat": float(h.lat),
                "lon": float(h.lon),
                "vulnerability": h.vulnerability,
                "type": h.type,
                "ranking": list(h.ranking),
                "exclude": sorted(h.exclude),
            }
            for h in sorted(round_.households, key=lambda h: h.id)
        ],
    }


def dumps_round(round_: Round) -> str:
    """The round file text: deterministic, one participant per line, trailing newline."""
    return _document(round_to_dict(round_))


def _km(value: float) -> float:
    rounded = round(float(value), DISTANCE_DECIMALS)
    return rounded + 0.0  # no "-0.0"


def _pair_dict(pair: Pair) -> dict[str, object]:
    return {
        "group": pair.group,
        "household": pair.household,
        "distance_km": _km(pair.distance_km),
        "group_rank": pair.group_rank,
        "household_rank": pair.household_rank,
    }


def _unmatched_dict(item: Unmatched) -> dict[str, object]:
    return {
        "id": item.id,
        "reason": item.reason.value,
        "eligible_partners": item.eligible_partners,
    }


# The same text as ``_inline(_pair_dict(pair))`` and ``_inline(_unmatched_dict(item))``,
# written directly (a result has tens of thousands of them): strings escaped by the json
# module's own function, numbers as the json module writes them (``repr``).
_json_string = json.encoder.encode_basestring


def _pair_line(pair: Pair) -> str:
    return (
        f'{{"group": {_json_string(pair.group)}, "household": {_json_string(pair.household)}, '
        f'"distance_km": {float.__repr__(_km(pair.distance_km))}, '
        f'"group_rank": {int.__repr__(pair.group_rank)}, '
        f'"household_rank": {int.__repr__(pair.household_rank)}}}'
    )


def _unmatched_line(item: Unmatched) -> str:
    return (
        f'{{"id": {_json_string(item.id)}, "reason": {_json_string(item.reason.value)}, '
        f'"eligible_partners": {int.__repr__(item.eligible_partners)}}}'
    )


def result_to_dict(result: Result) -> dict[str, object]:
    """The result as plain JSON data in the contract's field order, lists sorted by id."""
    return _result_sections(result, _pair_dict, _unmatched_dict, list)


def _result_sections(
    result: Result,
    pair: Callable[[Pair], Any],
    unmatched: Callable[[Unmatched], Any],
    listed: Callable[[list[Any]], list[Any]],
) -> dict[str, object]:
    s = result.summary
    return {
        "format": RESULT_FORMAT,
        "parameters": _parameters_dict(result.parameters),
        "matches": listed(
            [pair(p) for p in sorted(result.matches, key=lambda p: (p.group, p.household))]
        ),
        "controls": listed(
            [pair(p) for p in sorted(result.controls, key=lambda p: (p.group, p.household))]
        ),
        "unmatched_groups": listed(
            [unmatched(u) for u in sorted(result.unmatched_groups, key=lambda u: u.id)]
        ),
        "unmatched_households": listed(
            [unmatched(u) for u in sorted(result.unmatched_households, key=lambda u: u.id)]
        ),
        "summary": {
            "groups": s.groups,
            "households": s.households,
            "eligible_pairs": s.eligible_pairs,
            "matched": s.matched,
            "controls": s.controls,
            "preference_cost": s.preference_cost,
            "total_distance_km": _km(s.total_distance_km),
            "solver": s.solver,
            "version": s.version,
        },
    }


def dumps_result(result: Result) -> str:
    """The result file text: same Result, same bytes; one pair per line; trailing newline."""
    return _document(_result_sections(result, _pair_line, _unmatched_line, _Lines))


# --------------------------------------------------------------------------- reading results


def _result_pair(value: Any, where: str) -> Pair:
    obj = _object(value, where, None)
    _check_keys(obj, where, _PAIR_KEYS, _PAIR_KEYS)
    return Pair(
        group=_string(obj["group"], where, "group"),
        household=_string(obj["household"], where, "household"),
        distance_km=_number(obj["distance_km"], where, "distance_km", 0.0, math.inf),
        group_rank=_integer(obj["group_rank"], where, "group_rank"),
        household_rank=_integer(obj["household_rank"], where, "household_rank"),
    )


def _result_unmatched(value: Any, where: str) -> Unmatched:
    obj = _object(value, where, None)
    _check_keys(obj, where, _UNMATCHED_KEYS, _UNMATCHED_KEYS)
    reason = obj["reason"]
    if not isinstance(reason, str) or reason not in {r.value for r in UnmatchedReason}:
        _fail(where, "reason", f"unknown reason {_show(reason)}")
    return Unmatched(
        id=_string(obj["id"], where, "id"),
        reason=UnmatchedReason(reason),
        eligible_partners=_integer(obj["eligible_partners"], where, "eligible_partners"),
    )


def _items(obj: Mapping[str, Any], key: str, parse: Callable[[Any, str], Any]) -> tuple[Any, ...]:
    return tuple(
        parse(item, f"{key}[{position}]")
        for position, item in enumerate(_list(obj[key], "result", key))
    )


def result_from_dict(data: Any) -> Result:
    """Validate already-parsed JSON data against ``welcomematch.result/1``."""
    obj = _object(data, "result", None)
    if obj.get("format") != RESULT_FORMAT:
        _fail("result", "format", f'must be "{RESULT_FORMAT}", got {_show(obj.get("format"))}')
    _check_keys(obj, "result", _RESULT_KEYS, _RESULT_KEYS)
    summary = _object(obj["summary"], "result", "summary")
    _check_keys(summary, "summary", _SUMMARY_KEYS, _SUMMARY_KEYS)
    ints = {
        key: _integer(summary[key], "summary", key)
        for key in _SUMMARY_KEYS
        if key not in ("total_distance_km", "solver", "version")
    }
    return Result(
        parameters=_parameters(obj["parameters"]),
        matches=_items(obj, "matches", _result_pair),
        controls=_items(obj, "controls", _result_pair),
        unmatched_groups=_items(obj, "unmatched_groups", _result_unmatched),
        unmatched_households=_items(obj, "unmatched_households", _result_unmatched),
        summary=Summary(
            groups=ints["groups"],
            households=ints["households"],
            eligible_pairs=ints["eligible_pairs"],
            matched=ints["matched"],
            controls=ints["controls"],
            preference_cost=ints["preference_cost"],
            total_distance_km=_number(
                summary["total_distance_km"], "summary", "total_distance_km", 0.0, math.inf
            ),
            solver=_string(summary["solver"], "summary", "solver"),
            version=_string(summary["version"], "summary", "version"),
        ),
    )


def loads_result(text: str | bytes) -> Result:
    """Parse and validate the text of a result file."""
    return result_from_dict(_parse_json(text, "result"))


def load_result(path: str | Path) -> Result:
    """Read and validate a result file."""
    return loads_result(_read(path, "result"))
