"""One definition of a valid round: a file and a round built in code get the same verdict."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from welcomematch.core.engine import run_round
from welcomematch.core.errors import InvalidInput
from welcomematch.core.model import Group, Household, Mechanism, Parameters, Round
from welcomematch.core.roundfile import dumps_round, loads_round
from welcomematch.core.validation import (
    DUPLICATE_ID,
    STABLE_WITHOUT_CONTROL_ARM,
    validate_round,
)

G = Group("G1", 52.0, 5.0, 2, "mixed", ("couple",))
H = Household("H1", 52.0, 5.0, 1, "couple", ("mixed",))


def _round(**changes: Any) -> Round:
    parameters = changes.pop("parameters", Parameters())
    groups = changes.pop("groups", (G,))
    households = changes.pop("households", (H,))
    return Round(parameters, groups, households)


BROKEN = [
    pytest.param(
        _round(parameters=Parameters(mechanism=Mechanism.STABLE, control_arm=True)),
        f"parameters: control_arm: {STABLE_WITHOUT_CONTROL_ARM}",
        id="stable-with-control-arm",
    ),
    pytest.param(
        _round(groups=(dataclasses.replace(G, exclude=frozenset({"H9"})),)),
        'group G1: exclude: unknown household id "H9"',
        id="unknown-exclude-of-a-group",
    ),
    pytest.param(
        _round(households=(dataclasses.replace(H, exclude=frozenset({"G9"})),)),
        'household H1: exclude: unknown group id "G9"',
        id="unknown-exclude-of-a-household",
    ),
    pytest.param(_round(groups=(G, G)), f"group G1: id: {DUPLICATE_ID}", id="duplicate-id"),
    pytest.param(
        _round(groups=(dataclasses.replace(G, capacity=1 << 63),)),
        "group G1: capacity: must be an integer in [0, 9223372036854775807]",
        id="capacity-beyond-int64",
    ),
    pytest.param(
        _round(households=(dataclasses.replace(H, id="H\ud800"),)),
        "households[0]: id: must be valid Unicode text",
        id="lone-surrogate-in-an-id",
    ),
    pytest.param(
        _round(groups=(dataclasses.replace(G, ranking=("couple", "couple")),)),
        'group G1: ranking: type "couple" is listed twice',
        id="ranking-repeats",
    ),
    pytest.param(
        _round(parameters=Parameters(seed=-1)),
        "parameters: seed: must be an integer >= 0, got -1",
        id="negative-seed",
    ),
]


def _as_file(round_: Round) -> str:
    """The round as a file, written by hand (the writer refuses nothing)."""
    data = json.loads(dumps_round(dataclasses.replace(round_, groups=(), households=())))
    data["parameters"] = {
        "max_distance_km": round_.parameters.max_distance_km,
        "mechanism": round_.parameters.mechanism.value,
        "control_arm": round_.parameters.control_arm,
        "seed": round_.parameters.seed,
    }
    data["groups"] = [
        {
            "id": g.id,
            "lat": g.lat,
            "lon": g.lon,
            "capacity": g.capacity,
            "type": g.type,
            "ranking": list(g.ranking),
            "exclude": sorted(g.exclude),
        }
        for g in round_.groups
    ]
    data["households"] = [
        {
            "id": h.id,
            "lat": h.lat,
            "lon": h.lon,
            "vulnerability": h.vulnerability,
            "type": h.type,
            "ranking": list(h.ranking),
            "exclude": sorted(h.exclude),
        }
        for h in round_.households
    ]
    return json.dumps(data, ensure_ascii=True)


@pytest.mark.parametrize(("round_", "message"), BROKEN)
def test_a_rule_broken_in_code_or_in_a_file_gives_the_same_message(
    round_: Round, message: str
) -> None:
    with pytest.raises(InvalidInput) as in_code:
        validate_round(round_)
    with pytest.raises(InvalidInput) as in_engine:
        run_round(round_)
    with pytest.raises(InvalidInput) as in_file:
        loads_round(_as_file(round_))
    assert str(in_code.value).startswith(message)
    assert str(in_engine.value) == str(in_file.value) == str(in_code.value)
    assert "\n" not in str(in_code.value)
    str(in_code.value).encode("utf-8")  # printable, whatever the input held


def test_the_valid_round_passes_both_ways() -> None:
    r = _round()
    validate_round(r)
    assert loads_round(_as_file(r)) == r
