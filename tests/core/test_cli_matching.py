"""The round-file commands, run as a user runs them: in a subprocess."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from welcomematch.core.roundfile import loads_result, loads_round

REPO = Path(__file__).resolve().parents[2]
#: The full ``welcomematch`` command needs every module in COMMAND_MODULES; until the
#: application commands exist, run this module's own entry point (same parser, same handlers).
FULL_CLI = importlib.util.find_spec("welcomematch.cli.app") is not None
ENTRY = "welcomematch" if FULL_CLI else "welcomematch.cli.matching"


def cli(*args: str | Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "-m", ENTRY, *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def round_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("round") / "round.json"
    done = cli(
        "generate-round",
        "--groups",
        "6",
        "--households",
        "18",
        "--cities",
        "1",
        "--seed",
        "4",
        "--control-arm",
        "-o",
        path,
    )
    assert done.returncode == 0, done.stderr
    return path


def test_match_writes_a_valid_result_file_and_nothing_on_stdout(
    round_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "result.json"
    done = cli("match", round_file, "-o", out)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    result = loads_result(out.read_bytes())
    assert result.parameters == loads_round(round_file.read_bytes()).parameters
    assert result.summary.groups == 6 and result.summary.households == 18
    assert result.matches
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]  # no temp file left


def test_match_without_output_prints_the_same_bytes_and_seed_overrides(
    round_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "result.json"
    assert cli("match", round_file, "-o", out).returncode == 0
    printed = cli("match", round_file)
    assert printed.returncode == 0
    assert printed.stdout == out.read_text(encoding="utf-8")
    reseeded = cli("match", round_file, "--seed", "99")
    assert json.loads(reseeded.stdout)["parameters"]["seed"] == 99


def test_match_reads_stdin_when_given_a_dash(round_file: Path) -> None:
    done = cli("match", "-", stdin=round_file.read_text(encoding="utf-8"))
    assert done.returncode == 0 and json.loads(done.stdout)["format"] == "welcomematch.result/1"


def _bad(round_file: Path, change: str) -> str:
    data = json.loads(round_file.read_text(encoding="utf-8"))
    if change == "stable_with_control_arm":
        data["parameters"]["mechanism"] = "stable"
    elif change == "unknown_field":
        data["households"][2]["area"] = "Almere"
    elif change == "bool_capacity":
        data["groups"][1]["capacity"] = True
    elif change == "unknown_exclude":
        data["groups"][0]["exclude"] = ["H99"]
    return json.dumps(data)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("stable_with_control_arm", "error: parameters: control_arm: must be false"),
        ("unknown_field", "error: household H03: area: unknown field"),
        ("bool_capacity", "error: group G02: capacity: must be an integer >= 0, got true"),
        ("unknown_exclude", 'error: group G01: exclude: unknown household id "H99"'),
        ("not_json", "error: round: not valid JSON"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_no_result(
    round_file: Path, tmp_path: Path, change: str, expected: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json" if change == "not_json" else _bad(round_file, change))
    out = tmp_path / "result.json"
    done = cli("match", bad, "-o", out)
    assert done.returncode == 2
    assert done.stderr.startswith(expected), done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stdout == ""
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json"]


def test_bad_input_leaves_an_existing_result_file_untouched(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    out.write_text("previous result\n")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "welcomematch.round/1", "groups": [], "households": 3}')
    done = cli("match", bad, "-o", out)
    assert done.returncode == 2
    assert done.stderr == "error: round: households: must be a list, got 3\n"
    assert out.read_text() == "previous result\n"


def test_missing_round_file_is_bad_input(tmp_path: Path) -> None:
    done = cli("match", tmp_path / "nope.json")
    assert done.returncode == 2 and done.stderr.startswith("error: round: cannot read")


def test_generate_round_is_reproducible_and_valid(tmp_path: Path) -> None:
    args = ("generate-round", "--groups", "5", "--households", "15", "--cities", "2")
    first = cli(*args, "--seed", "7")
    second = cli(*args, "--seed", "7")
    other = cli(*args, "--seed", "8")
    assert first.returncode == 0 and first.stdout == second.stdout != other.stdout
    round_ = loads_round(first.stdout)
    assert len(round_.groups) == 5 and round_.parameters.seed == 7
    stable = cli(*args, "--seed", "7", "--mechanism", "stable")
    assert loads_round(stable.stdout).parameters.mechanism.value == "stable"


def test_generate_round_refuses_stable_with_control_arm() -> None:
    done = cli(
        "generate-round", "--groups", "1", "--households", "1", "--mechanism", "stable",
        "--control-arm",
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == 'error: parameters: control_arm: must be false with mechanism "stable"\n'


def test_lottery_audit_reports_json_and_a_table(round_file: Path) -> None:
    as_json = cli("lottery-audit", round_file, "--draws", "20", "--json")
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert data["draws"] == 20 and data["first_seed"] == 4 and data["control_arm"] is True
    assert len(data["households"]) == 18
    assert {h["decided_by"] for h in data["households"]} <= {"eligibility", "rules", "lottery"}
    assert {b["by"] for b in data["breakdowns"]} == {"type", "level", "area"}
    table = cli("lottery-audit", round_file, "--draws", "20")
    assert table.returncode == 0
    assert "Lottery audit: 20 draws, seeds 4..23" in table.stdout
    assert "P(control)" in table.stdout and "  type " in table.stdout


def test_explain_prints_the_answer_and_json(round_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    assert cli("match", round_file, "-o", out).returncode == 0
    pair = json.loads(out.read_text())["matches"][0]
    done = cli(
        "explain", round_file, out, "--group", pair["group"], "--household", pair["household"]
    )
    assert done.returncode == 0
    assert done.stdout.startswith(f"{pair['group']} and {pair['household']} are matched")
    as_json = cli(
        "explain", round_file, out, "--group", pair["group"], "--household", pair["household"],
        "--json",
    )  # fmt: skip
    assert json.loads(as_json.stdout)["verdict"] == "matched"
    unknown = cli("explain", round_file, out, "--group", "G404", "--household", "H01")
    assert unknown.returncode == 2
    assert unknown.stderr == "error: group G404: id: not in the round\n"


def test_match_never_imports_django(round_file: Path, tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from welcomematch.cli.matching import main\n"
        f"status = main(['match', {str(round_file)!r}, '-o', {str(tmp_path / 'r.json')!r}])\n"
        "assert status == 0, status\n"
        "assert not [m for m in sys.modules if m == 'django' or m.startswith('django.')]\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(
    not FULL_CLI, reason="welcomematch.cli.app (application commands) not there yet"
)
def test_full_welcomematch_command_lists_the_round_commands() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "welcomematch", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0
    for command in ("match", "generate-round", "lottery-audit", "explain"):
        assert command in done.stdout


def test_explain_accepts_a_result_run_with_another_seed_but_not_other_rules(
    round_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "result.json"
    assert cli("match", round_file, "--seed", "5", "-o", out).returncode == 0
    pair = json.loads(out.read_text())["matches"][0]
    ok = cli("explain", round_file, out, "--group", pair["group"], "--household", pair["household"])
    assert ok.returncode == 0 and "are matched" in ok.stdout
    data = json.loads(out.read_text())
    data["parameters"]["max_distance_km"] = 9.0
    out.write_text(json.dumps(data))
    refused = cli("explain", round_file, out, "--group", "G01", "--household", "H01")
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: result: parameters: parameters other than the seed")
