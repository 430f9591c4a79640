"""``welcomematch verify`` and the bad-input paths of the round-file commands (issue #13):
run as a user runs them, in a subprocess, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.test_cli_matching import cli
from welcomematch.cli.matching import main
from welcomematch.core.errors import InvalidInput
from welcomematch.core.roundfile import loads_result, loads_round

ROUND: dict[str, Any] = {
    "format": "welcomematch.round/1",
    "parameters": {"max_distance_km": 5.0, "control_arm": True, "seed": 3},
    "groups": [
        {"id": "G1", "lat": 52.37, "lon": 4.89, "capacity": 2, "type": "a", "ranking": ["x"]},
        {"id": "G2", "lat": 52.38, "lon": 4.89, "capacity": 0, "type": "b", "ranking": []},
    ],
    "households": [
        {"id": "H1", "lat": 52.37, "lon": 4.90, "vulnerability": 0, "type": "x", "ranking": []},
        {"id": "H2", "lat": 52.36, "lon": 4.89, "vulnerability": 1, "type": "y", "ranking": []},
        {"id": "H3", "lat": 53.37, "lon": 4.89, "vulnerability": 0, "type": "x", "ranking": []},
        {"id": "H4", "lat": 52.37, "lon": 4.88, "vulnerability": 0, "type": "y", "ranking": []},
    ],
}


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    round_path = tmp_path / "round.json"
    round_path.write_text(json.dumps(ROUND))
    result_path = tmp_path / "result.json"
    done = cli("match", round_path, "-o", result_path)
    assert done.returncode == 0, done.stderr
    return round_path, result_path


def test_verify_accepts_the_engines_result(files: tuple[Path, Path]) -> None:
    done = cli("verify", *files)
    assert (done.returncode, done.stdout, done.stderr) == (0, "valid and optimal\n", "")


def test_verify_names_the_first_violation_with_exit_status_1(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    round_path, result_path = files
    data = json.loads(result_path.read_text())
    data["matches"][0]["group_rank"] += 1
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data))
    done = cli("verify", round_path, broken)
    assert done.returncode == 1
    assert done.stdout.startswith("wrong rank: match G1–H") and done.stdout.count("\n") == 1
    # Dropping G1's control household (and listing it as unmatched) loses level 2.
    data = json.loads(result_path.read_text())
    (control,) = data["controls"]
    data["controls"] = []
    data["unmatched_households"] = sorted(
        [
            *data["unmatched_households"],
            {"id": control["household"], "reason": "partners_taken", "eligible_partners": 1},
        ],
        key=lambda u: u["id"],
    )
    data["summary"].update(
        controls=0,
        preference_cost=data["summary"]["preference_cost"]
        - control["group_rank"]
        - control["household_rank"],
        total_distance_km=round(data["summary"]["total_distance_km"] - control["distance_km"], 3),
    )
    broken.write_text(json.dumps(data))
    done = cli("verify", round_path, broken)
    assert done.returncode == 1
    assert done.stdout.startswith("not optimal: level 2 (as many groups as possible with two)")


def test_verify_of_an_unreadable_file_is_bad_input(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    round_path, _ = files
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "welcomematch.result/1"')
    done = cli("verify", round_path, bad)
    assert done.returncode == 2
    assert done.stderr.startswith("error: result: not valid JSON") and done.stderr.count("\n") == 1
    assert done.stdout == ""


def _with(path: list[Any], value_json: str) -> str:
    """The round with one value replaced by raw JSON text (for values Python cannot dump)."""
    data = json.loads(json.dumps(ROUND))
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = "@@VALUE@@"
    return json.dumps(data).replace('"@@VALUE@@"', value_json)


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            ["groups", 0, "capacity"],
            "9" * 5000,
            "error: group G1: capacity: must be an integer >= 0, got an integer of 5000 digits",
        ),
        (
            ["groups", 1, "capacity"],
            str(2**63),
            "error: group G2: capacity: must be an integer in [0, 9223372036854775807], got "
            "9223372036854775808",
        ),
        (
            ["households", 1, "id"],
            '"H\\ud800"',
            'error: households[1]: id: must be valid Unicode text, got "H\\ud800"',
        ),
        (
            ["households", 0, "vulnerability"],
            str(2**64),
            "error: household H1: vulnerability: must be an integer in [0, 9223372036854775807]",
        ),
        (
            ["parameters", "seed"],
            "7" * 4500,
            "error: parameters: seed: must be an integer >= 0, got an integer of 4500 digits",
        ),
        (
            ["groups", 0, "ranking"],
            '["x", "\\udfff"]',
            'error: group G1: ranking: must be valid Unicode text, got "\\udfff"',
        ),
    ],
)
def test_match_refuses_values_that_used_to_crash_it(
    path: list[Any], value: str, expected: str, tmp_path: Path
) -> None:
    round_path = tmp_path / "round.json"
    round_path.write_text(_with(path, value), encoding="utf-8")
    output = tmp_path / "result.json"
    done = cli("match", round_path, "-o", output)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(expected), done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not output.exists()


# --- fuzz: whatever the file holds, one line and exit 2, or a result --------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = [
    ["parameters", "max_distance_km"],
    ["parameters", "mechanism"],
    ["parameters", "control_arm"],
    ["parameters", "seed"],
    *[["groups", 0, key] for key in ("id", "lat", "lon", "capacity", "type", "ranking", "exclude")],
    *[
        ["households", 1, key]
        for key in ("id", "lat", "lon", "vulnerability", "type", "ranking", "exclude")
    ],
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(FIELDS), value=json_values, surrogate=st.booleans())
def test_the_reader_and_engine_never_raise_anything_but_invalid_input(
    field: list[Any], value: Any, surrogate: bool
) -> None:
    text = _with(field, json.dumps(value))
    if surrogate:
        text = text.replace('"G1"', '"G1\\udc80"', 1)
    try:
        round_ = loads_round(text)
    except InvalidInput as error:
        assert "\n" not in str(error)
        str(error).encode("utf-8")
        return
    from welcomematch.core.engine import run_round
    from welcomematch.core.roundfile import dumps_result
    from welcomematch.core.verify import first_violation

    result = run_round(round_)
    assert first_violation(round_, loads_result(dumps_result(result))) is None


def test_main_reports_bad_input_in_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    round_path = tmp_path / "round.json"
    round_path.write_text(_with(["groups", 0, "capacity"], "9" * 5000))
    assert main(["match", str(round_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: group G1: capacity:") and err.count("\n") == 1


RESULT_FIELDS = [
    ["parameters", "seed"],
    ["parameters", "mechanism"],
    ["matches", 0, "group"],
    ["matches", 0, "household"],
    ["matches", 0, "distance_km"],
    ["matches", 0, "group_rank"],
    ["controls"],
    ["unmatched_households", 0, "reason"],
    ["unmatched_households", 0, "eligible_partners"],
    ["summary", "matched"],
    ["summary", "total_distance_km"],
    ["summary", "solver"],
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(RESULT_FIELDS), value=json_values)
def test_a_corrupted_result_is_bad_input_or_a_named_violation_never_a_crash(
    field: list[Any], value: Any
) -> None:
    from welcomematch.core.engine import run_round
    from welcomematch.core.roundfile import dumps_result
    from welcomematch.core.verify import first_violation

    round_ = loads_round(json.dumps(ROUND))
    data = json.loads(dumps_result(run_round(round_)))
    target = data
    for key in field[:-1]:
        target = target[key]
    target[field[-1]] = value
    try:
        result = loads_result(json.dumps(data))
    except InvalidInput as error:
        assert "\n" not in str(error)
        return
    found = first_violation(round_, result)
    assert found is None or "\n" not in str(found)
