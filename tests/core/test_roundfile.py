"""Round files in, result files out: every breach of the contract names the id and the field."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from welcomematch.core.errors import InvalidInput
from welcomematch.core.model import (
    Mechanism,
    Pair,
    Parameters,
    Result,
    Summary,
    Unmatched,
    UnmatchedReason,
)
from welcomematch.core.roundfile import (
    dumps_result,
    dumps_round,
    load_round,
    loads_result,
    loads_round,
    result_to_dict,
    round_from_dict,
)


def valid() -> dict[str, Any]:
    return {
        "format": "welcomematch.round/1",
        "parameters": {
            "max_distance_km": 5.0,
            "mechanism": "optimal",
            "control_arm": False,
            "seed": 20200601,
        },
        "groups": [
            {
                "id": "G01",
                "lat": 52.3712,
                "lon": 5.2178,
                "capacity": 2,
                "type": "mixed_ages",
                "ranking": ["family_with_children", "couple"],
                "exclude": ["H07"],
            },
            {
                "id": "G02",
                "lat": 52.38,
                "lon": 5.22,
                "capacity": 0,
                "type": "seniors",
                "ranking": [],
            },
        ],
        "households": [
            {
                "id": "H01",
                "lat": 52.3650,
                "lon": 5.2200,
                "vulnerability": 1,
                "type": "couple",
                "ranking": ["with_children", "mixed_ages"],
                "exclude": [],
            },
            {
                "id": "H07",
                "lat": 52.37,
                "lon": 5.21,
                "vulnerability": 0,
                "type": "single_man",
                "ranking": ["seniors"],
                "exclude": ["G02"],
            },
        ],
    }


def g01(d: dict[str, Any]) -> dict[str, Any]:
    g: dict[str, Any] = d["groups"][0]
    return g


def h07(d: dict[str, Any]) -> dict[str, Any]:
    h: dict[str, Any] = d["households"][1]
    return h


def setter(part: Callable[[dict[str, Any]], dict[str, Any]], key: str, value: Any) -> Any:
    def mutate(d: dict[str, Any]) -> None:
        part(d)[key] = value

    return mutate


def deleter(part: Callable[[dict[str, Any]], dict[str, Any]], key: str) -> Any:
    def mutate(d: dict[str, Any]) -> None:
        del part(d)[key]

    return mutate


def params(d: dict[str, Any]) -> dict[str, Any]:
    p: dict[str, Any] = d["parameters"]
    return p


def top(d: dict[str, Any]) -> dict[str, Any]:
    return d


def add_group_copy(d: dict[str, Any]) -> None:
    d["groups"].append(copy.deepcopy(d["groups"][0]))


def add_household_copy(d: dict[str, Any]) -> None:
    d["households"].append(copy.deepcopy(d["households"][0]))


BAD_INPUTS = [
    # (case name, mutation, expected message prefix)
    ("missing format", deleter(top, "format"), "round: format: missing required field"),
    ("wrong format", setter(top, "format", "welcomematch.round/2"), "round: format: must be"),
    ("unknown top-level field", setter(top, "area", "x"), "round: area: unknown field"),
    ("missing groups", deleter(top, "groups"), "round: groups: missing required field"),
    ("groups not a list", setter(top, "groups", {}), "round: groups: must be a list"),
    ("parameters not an object", setter(top, "parameters", 3), "parameters: must be an object"),
    ("unknown parameter", setter(params, "speed", 1), "parameters: speed: unknown field"),
    (
        "max distance zero",
        setter(params, "max_distance_km", 0),
        "parameters: max_distance_km: must be a number > 0, got 0",
    ),
    (
        "max distance negative",
        setter(params, "max_distance_km", -1.5),
        "parameters: max_distance_km: must be a number > 0",
    ),
    (
        "max distance a string",
        setter(params, "max_distance_km", "5"),
        'parameters: max_distance_km: must be a number > 0, got "5"',
    ),
    (
        "max distance a bool",
        setter(params, "max_distance_km", True),
        "parameters: max_distance_km: must be a number > 0, got true",
    ),
    ("unknown mechanism", setter(params, "mechanism", "greedy"), "parameters: mechanism:"),
    (
        "control arm not bool",
        setter(params, "control_arm", 1),
        "parameters: control_arm: must be true or false, got 1",
    ),
    ("seed a bool", setter(params, "seed", True), "parameters: seed: must be an integer"),
    ("seed a float", setter(params, "seed", 1.5), "parameters: seed: must be an integer"),
    ("seed negative", setter(params, "seed", -1), "parameters: seed: must be an integer >= 0"),
    ("group not an object", setter(top, "groups", [3]), "groups[0]: must be an object"),
    ("group without id", deleter(g01, "id"), "groups[0]: id: missing required field"),
    ("group empty id", setter(g01, "id", ""), "groups[0]: id: must be a non-empty string"),
    ("group id a number", setter(g01, "id", 7), "groups[0]: id: must be a non-empty string"),
    ("group unknown field", setter(g01, "area", "Almere"), "group G01: area: unknown field"),
    ("group missing lat", deleter(g01, "lat"), "group G01: lat: missing required field"),
    ("group missing ranking", deleter(g01, "ranking"), "group G01: ranking: missing required"),
    ("group missing type", deleter(g01, "type"), "group G01: type: missing required field"),
    ("lat out of range", setter(g01, "lat", 91), "group G01: lat: must be a number in [-90, 90]"),
    ("lon out of range", setter(g01, "lon", -180.5), "group G01: lon: must be a number in"),
    ("lat a string", setter(g01, "lat", "52.3"), "group G01: lat: must be a number"),
    ("lat a bool", setter(g01, "lat", False), "group G01: lat: must be a number"),
    ("lat null", setter(g01, "lat", None), "group G01: lat: must be a number"),
    ("capacity negative", setter(g01, "capacity", -1), "group G01: capacity: must be an integer"),
    ("capacity a bool", setter(g01, "capacity", True), "group G01: capacity: must be an integer"),
    ("capacity a float", setter(g01, "capacity", 2.0), "group G01: capacity: must be an integer"),
    ("type empty", setter(g01, "type", ""), "group G01: type: must be a non-empty string"),
    (
        "ranking repeats a type",
        setter(g01, "ranking", ["couple", "single_man", "couple"]),
        'group G01: ranking: type "couple" is listed twice',
    ),
    ("ranking not a list", setter(g01, "ranking", "couple"), "group G01: ranking: must be a list"),
    ("ranking item not str", setter(g01, "ranking", [1]), "group G01: ranking: item 0 must be"),
    (
        "exclude unknown household",
        setter(g01, "exclude", ["H99"]),
        'group G01: exclude: unknown household id "H99"',
    ),
    (
        "exclude repeats an id",
        setter(g01, "exclude", ["H07", "H07"]),
        'group G01: exclude: id "H07" is listed twice',
    ),
    ("duplicate group id", add_group_copy, "group G01: id: duplicate id"),
    ("duplicate household id", add_household_copy, "household H01: id: duplicate id"),
    (
        "vulnerability negative",
        setter(h07, "vulnerability", -1),
        "household H07: vulnerability: must be an integer >= 0, got -1",
    ),
    (
        "vulnerability a bool",
        setter(h07, "vulnerability", False),
        "household H07: vulnerability: must be an integer >= 0, got false",
    ),
    ("household unknown field", setter(h07, "area", 1), "household H07: area: unknown field"),
    (
        "household missing vulnerability",
        deleter(h07, "vulnerability"),
        "household H07: vulnerability: missing required field",
    ),
    (
        "household exclude unknown group",
        setter(h07, "exclude", ["G99"]),
        'household H07: exclude: unknown group id "G99"',
    ),
    (
        "household ranking repeats",
        setter(h07, "ranking", ["seniors", "seniors"]),
        "household H07: ranking: type",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [pytest.param(m, e, id=name) for name, m, e in BAD_INPUTS],
)
def test_each_breach_of_the_contract_names_the_record_and_field(mutate: Any, expected: str) -> None:
    data = valid()
    mutate(data)
    with pytest.raises(InvalidInput) as caught:
        loads_round(json.dumps(data))
    message = str(caught.value)
    assert message.startswith(expected), message
    assert "\n" not in message


def test_stable_with_control_arm_is_an_input_error() -> None:
    data = valid()
    data["parameters"].update(mechanism="stable", control_arm=True)
    with pytest.raises(InvalidInput, match=r"^parameters: control_arm: must be false with mechan"):
        loads_round(json.dumps(data))


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_rejected(constant: str) -> None:
    text = json.dumps(valid()).replace("52.3712", constant)
    with pytest.raises(InvalidInput, match=f"not a finite number: {constant}"):
        loads_round(text)


@pytest.mark.parametrize("text", ["", "{", "[1, 2", "not json", '{"a": 1,}'])
def test_bad_json_is_an_input_error_with_its_position(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"^round: not valid JSON: .* line \d+ column \d+"):
        loads_round(text)


def test_top_level_must_be_an_object() -> None:
    with pytest.raises(InvalidInput, match=r"^round: must be an object"):
        loads_round("[]")


def test_a_key_repeated_in_one_object_is_an_error_not_silently_last_wins() -> None:
    text = json.dumps(valid()).replace('"capacity": 2', '"capacity": 2, "capacity": 9')
    with pytest.raises(InvalidInput, match='key "capacity" appears twice'):
        loads_round(text)


def test_error_carries_record_and_field_attributes() -> None:
    data = valid()
    h07(data)["vulnerability"] = -1
    with pytest.raises(InvalidInput) as caught:
        round_from_dict(data)
    assert (caught.value.record, caught.value.field) == ("household H07", "vulnerability")


def test_valid_file_is_read_into_the_dataclasses() -> None:
    round_ = loads_round(json.dumps(valid()))
    assert round_.parameters == Parameters(5.0, Mechanism.OPTIMAL, False, 20200601)
    g = round_.groups[0]
    assert (g.id, g.capacity, g.ranking, g.exclude) == (
        "G01",
        2,
        ("family_with_children", "couple"),
        frozenset({"H07"}),
    )
    assert round_.groups[1].exclude == frozenset()  # exclude is optional
    assert round_.households[1].exclude == frozenset({"G02"})


def test_parameters_may_be_omitted_and_take_the_contract_defaults() -> None:
    data = valid()
    del data["parameters"]
    assert loads_round(json.dumps(data)).parameters == Parameters(5.0, Mechanism.OPTIMAL, False, 0)
    data["parameters"] = {"max_distance_km": 3}
    assert loads_round(json.dumps(data)).parameters.max_distance_km == 3.0


def test_round_trip_round_file_is_identical_and_stable() -> None:
    round_ = loads_round(json.dumps(valid()))
    text = dumps_round(round_)
    again = loads_round(text)
    assert again == round_
    assert dumps_round(again) == text
    assert text.endswith("}\n")


def test_round_file_lists_participants_sorted_by_id() -> None:
    data = valid()
    data["groups"].reverse()
    text = dumps_round(loads_round(json.dumps(data)))
    assert text.index('"G01"') < text.index('"G02"')


def test_load_round_reports_an_unreadable_path(tmp_path: Any) -> None:
    with pytest.raises(InvalidInput, match=r"^round: cannot read"):
        load_round(tmp_path / "missing.json")


def sample_result() -> Result:
    return Result(
        parameters=Parameters(5.0, Mechanism.OPTIMAL, True, 7),
        matches=(
            Pair("G02", "H05", 0.12345678, 1, 0),
            Pair("G01", "H03", 1.2344999, 0, 1),
        ),
        controls=(Pair("G01", "H09", 2.1009, 1, 0),),
        unmatched_groups=(Unmatched("G05", UnmatchedReason.NO_PARTNER_IN_RANGE, 0),),
        unmatched_households=(
            Unmatched("H11", UnmatchedReason.PARTNERS_TAKEN, 3),
            Unmatched("H10", UnmatchedReason.VULNERABILITY, 0),
        ),
        summary=Summary(3, 6, 11, 2, 1, 2, 3.4563, "cp-sat", "1.0"),
    )


def test_result_has_the_contract_fields_in_order_sorted_and_rounded() -> None:
    text = dumps_result(sample_result())
    data = json.loads(text)
    assert list(data) == [
        "format",
        "parameters",
        "matches",
        "controls",
        "unmatched_groups",
        "unmatched_households",
        "summary",
    ]
    assert data["format"] == "welcomematch.result/1"
    assert list(data["parameters"]) == ["max_distance_km", "mechanism", "control_arm", "seed"]
    assert data["matches"][0] == {
        "group": "G01",
        "household": "H03",
        "distance_km": 1.234,
        "group_rank": 0,
        "household_rank": 1,
    }
    assert list(data["matches"][0]) == [
        "group",
        "household",
        "distance_km",
        "group_rank",
        "household_rank",
    ]
    assert [m["group"] for m in data["matches"]] == ["G01", "G02"]
    assert data["matches"][1]["distance_km"] == 0.123
    assert [u["id"] for u in data["unmatched_households"]] == ["H10", "H11"]
    assert list(data["unmatched_groups"][0]) == ["id", "reason", "eligible_partners"]
    assert list(data["summary"]) == [
        "groups",
        "households",
        "eligible_pairs",
        "matched",
        "controls",
        "preference_cost",
        "total_distance_km",
        "solver",
        "version",
    ]
    assert data["summary"]["total_distance_km"] == 3.456


def test_same_result_gives_byte_identical_text_with_trailing_newline() -> None:
    first = dumps_result(sample_result()).encode()
    second = dumps_result(sample_result()).encode()
    assert first == second
    assert first.endswith(b"}\n") and not first.endswith(b"\n\n")
    # order of the tuples inside the Result does not leak into the file
    shuffled = sample_result()
    reordered = Result(
        parameters=shuffled.parameters,
        matches=tuple(reversed(shuffled.matches)),
        controls=shuffled.controls,
        unmatched_groups=shuffled.unmatched_groups,
        unmatched_households=tuple(reversed(shuffled.unmatched_households)),
        summary=shuffled.summary,
    )
    assert dumps_result(reordered).encode() == first


def test_result_file_puts_one_pair_per_line_so_it_diffs_cleanly() -> None:
    lines = dumps_result(sample_result()).splitlines()
    pair_lines = [line for line in lines if '"household": ' in line]
    assert len(pair_lines) == 3


def test_pairs_written_directly_are_the_json_modules_text_for_any_id() -> None:
    """The result writer formats pairs and unmatched entries itself (for speed); the text is
    exactly what the json module writes for the same objects, whatever the ids hold."""
    odd = ['G"1', "G\\2", "Gé", "G\n3", "G\u2028", "G\x01", "😀", "-0"]
    pairs = tuple(
        Pair(g, f"H{k}", d, k % 3, (k + 1) % 4)
        for k, (g, d) in enumerate(
            zip(odd, [0.0, -0.0004, 1e-9, 4.9999, 12.3456, 0.1, 3.0, 2.5], strict=True)
        )
    )
    result = Result(
        parameters=Parameters(5.0, Mechanism.OPTIMAL, False, 1),
        matches=pairs,
        controls=(),
        unmatched_groups=tuple(
            Unmatched(g + "x", UnmatchedReason.PARTNERS_TAKEN, k) for k, g in enumerate(odd)
        ),
        unmatched_households=(),
        summary=Summary(8, 8, 8, 8, 0, 9, 23.1, "s", "v"),
    )
    text = dumps_result(result)
    data = result_to_dict(result)
    lines = [line.removesuffix(",") for line in text.split("\n")]
    for item in [*data["matches"], *data["unmatched_groups"]]:  # type: ignore[misc]
        line = json.dumps(item, ensure_ascii=False, separators=(", ", ": "))
        assert f"    {line}" in lines
    assert json.loads(text) == json.loads(json.dumps(data))


def test_result_reads_back_as_written_up_to_rounding() -> None:
    result = sample_result()
    again = loads_result(dumps_result(result))
    assert result_to_dict(again) == result_to_dict(result)


def test_result_reader_rejects_a_round_file() -> None:
    with pytest.raises(InvalidInput, match=r"^result: format: must be \"welcomematch\.result/1\""):
        loads_result(json.dumps(valid()))


# --------------------------------------------------------------- fast path of the reader

_ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    7,
    2.5,
    -0.0,
    1e300,
    91.0,
    -181.0,
    "",
    "x",
    "seniors",
    [],
    ["a"],
    ["a", "a"],
    ["a", ""],
    ["a", 1],
    [["a"]],
    [{"a": 1}],
    {"a": 1},
    [True],
]


def _records() -> list[tuple[str, dict[str, Any]]]:
    data = valid()
    return [("group", g) for g in data["groups"]] + [("household", h) for h in data["households"]]


def _detailed(side: str, record: Any) -> Any:
    from welcomematch.core import roundfile

    checker = roundfile._group if side == "group" else roundfile._household
    try:
        return checker(record, 0)
    except InvalidInput as exc:
        return ("error", str(exc))


def _fast(side: str, record: Any) -> Any:
    from welcomematch.core import roundfile
    from welcomematch.core.model import Group, Household

    if side == "group":
        return roundfile._fast_participant(record, roundfile._GROUP_KEY_SET, "capacity", Group, {})
    return roundfile._fast_participant(
        record, roundfile._HOUSEHOLD_KEY_SET, "vulnerability", Household, {}
    )


def _variants() -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for side, record in _records():
        out.append((side, record))
        out.append((side, [record]))
        for key in [*record, "capacity", "vulnerability", "exclude", "extra"]:
            dropped = dict(record)
            dropped.pop(key, None)
            out.append((side, dropped))
            for odd in _ODD_VALUES:
                changed = dict(record)
                changed[key] = copy.deepcopy(odd)
                out.append((side, changed))
    return out


@pytest.mark.parametrize(("side", "record"), _variants())
def test_fast_reader_accepts_only_what_the_detailed_checker_accepts(side: str, record: Any) -> None:
    # The fast path either declines (None: the detailed checker then runs and raises its own
    # message) or returns exactly what the detailed checker returns.
    fast = _fast(side, record)
    detailed = _detailed(side, record)
    if fast is not None:
        assert fast == detailed
        assert type(fast.lat) is float and type(fast.ranking) is tuple


def test_fast_reader_shares_verdicts_between_records_without_mixing_them_up() -> None:
    from welcomematch.core import roundfile
    from welcomematch.core.model import Group

    seen: dict[tuple[Any, ...], bool] = {}
    good = {"id": "G1", "lat": 1.0, "lon": 2.0, "capacity": 1, "type": "t", "ranking": ["a"]}
    bad = dict(good, ranking=["a", "a"])
    for _ in range(2):
        assert roundfile._fast_participant(good, roundfile._GROUP_KEY_SET, "capacity", Group, seen)
        assert (
            roundfile._fast_participant(bad, roundfile._GROUP_KEY_SET, "capacity", Group, seen)
            is None
        )


def test_a_whole_file_reads_the_same_through_the_fast_path_and_the_detailed_one() -> None:
    from welcomematch.core import roundfile
    from welcomematch.core.generate import generate_round

    text = dumps_round(generate_round(groups=60, households=150, cities=2, seed=3))
    data = json.loads(text)
    fast = loads_round(text)
    assert fast.groups == tuple(roundfile._group(g, i) for i, g in enumerate(data["groups"]))
    assert fast.households == tuple(
        roundfile._household(h, i) for i, h in enumerate(data["households"])
    )


def test_every_round_the_reader_accepts_passes_the_engine_validation() -> None:
    # The reader checks each value with the functions validate_round uses: whatever it
    # accepts, the engine (which validates every round it runs) accepts too.
    from welcomematch.core.generate import generate_round
    from welcomematch.core.validation import validate_round

    texts = [json.dumps(valid())] + [
        dumps_round(
            generate_round(groups=30, households=80, cities=2, seed=s, control_arm=s % 2 == 1)
        )
        for s in range(5)
    ]
    for text in texts:
        validate_round(loads_round(text))
