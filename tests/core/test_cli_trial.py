"""``welcomematch trial analyse``: result files, byte-identical reruns, bad input (exit 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from welcomematch.cli.trial import main

REPO = Path(__file__).resolve().parents[2]

TRIAL = (
    "pair,arm,unit,age,origin,score,work\n"
    "P1,treatment,a,30,SY,5,1\n"
    "P1,control,b,32,ER,3,0\n"
    "P2,treatment,c,40,SY,6,1\n"
    "P2,control,d,38,SY,5,\n"
    "P3,treatment,e,50,AF,4,0\n"
    "P3,control,f,52,ER,,\n"
    "P4,treatment,g,25,SY,7,1\n"
    "P4,control,h,27,SY,4,0\n"
)


def big_trial(pairs: int = 30) -> str:
    """More than 20 intact pairs, so the p-value is Monte Carlo."""
    rows = "".join(
        f"P{i},treatment,{(i * 7) % 11 / 2},{20 + i % 9}\nP{i},control,{(i * 5) % 13 / 2},{21 + i % 8}\n"
        for i in range(pairs)
    )
    return "pair,arm,y,age\n" + rows


def cli(*args: str | Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "-m", "welcomematch", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=120,
        check=False,
    )


@pytest.fixture
def trial_file(tmp_path: Path) -> Path:
    path = tmp_path / "trial.csv"
    path.write_text(TRIAL, encoding="utf-8")
    return path


def test_analyse_writes_the_result_file_and_nothing_on_stdout(
    trial_file: Path, tmp_path: Path
) -> None:
    output = tmp_path / "result.json"
    done = cli("trial", "analyse", trial_file, "--outcome", "score", "-o", output)
    assert done.returncode == 0, done.stderr
    assert (done.stdout, done.stderr) == ("", "")
    result = json.loads(output.read_text(encoding="utf-8"))
    assert result["format"] == "welcomematch.trial-result/1"
    assert [o["outcome"] for o in result["outcomes"]] == ["score"]
    # covariates: everything but pair/arm/unit and the outcome (work is not an outcome here)
    assert [b["covariate"] for b in result["balance"]] == ["age"] + ["origin"] * 3 + ["work"]


def test_analyse_writes_to_stdout_without_o_and_reads_stdin(trial_file: Path) -> None:
    done = cli("trial", "analyse", "-", "--outcome", "score", "--outcome", "work", stdin=TRIAL)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert [o["outcome"] for o in result["outcomes"]] == ["score", "work"]
    from_file = cli("trial", "analyse", trial_file, "--outcome", "score", "--outcome", "work")
    assert from_file.stdout == done.stdout


def test_the_trial_command_never_starts_django(trial_file: Path) -> None:
    code = (
        "import sys\n"
        "from welcomematch.cli import main\n"
        f"status = main(['trial', 'analyse', {str(trial_file)!r}, '--outcome', 'score'])\n"
        "assert status == 0\n"
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), "
        "'django imported'\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr


def test_same_file_and_seed_give_byte_identical_output(tmp_path: Path) -> None:
    data = tmp_path / "big.csv"
    data.write_text(big_trial(), encoding="utf-8")
    outputs = []
    for name, seed in (("a.json", "3"), ("b.json", "3"), ("c.json", "4")):
        done = cli(
            "trial", "analyse", data, "--outcome", "y", "--seed", seed, "-o", tmp_path / name
        )
        assert done.returncode == 0, done.stderr
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]
    first, other = json.loads(outputs[0]), json.loads(outputs[2])
    assert first["outcomes"][0]["randomisation"]["method"] == "monte_carlo"
    assert (first["seed"], other["seed"]) == (3, 4)


def test_dutch_summaries(trial_file: Path) -> None:
    done = cli("trial", "analyse", trial_file, "--outcome", "score", "--language", "nl")
    assert done.returncode == 0, done.stderr
    assert "we kunnen nog niet zeggen" in json.loads(done.stdout)["outcomes"][0]["summary"]


# --------------------------------------------------------------------------- bad input


BAD_FILES: list[tuple[str, bytes, tuple[str, ...], str, str]] = [
    ("missing-pair", b"arm,score\ntreatment,1\ncontrol,2\n", (), "line 1", "pair"),
    ("missing-arm", b"pair,score\nP1,1\nP1,2\n", (), "line 1", "arm"),
    ("bad-arm", b"pair,arm,score\nP1,treatment,1\nP1,matched,2\n", (), "line 3", "arm"),
    ("lone-row", b"pair,arm,score\nP1,treatment,1\nP1,control,2\nP2,control,1\n", (), "line 4", "pair"),
    ("two-treatments", b"pair,arm,score\nP1,treatment,1\nP1,treatment,2\n", (), "line 3", "arm"),
    ("three-rows", b"pair,arm,score\nP1,treatment,1\nP1,control,2\nP1,control,3\n", (), "line 4", "arm"),
    ("non-numeric", b"pair,arm,score\nP1,treatment,1\nP1,control,two\n", (), "line 3", "score"),
    ("no-such-outcome", b"pair,arm,score\nP1,treatment,1\nP1,control,2\n", ("gain",), "line 1", "gain"),
    ("no-pairs", b"pair,arm,score\n", (), "line 1", "pair"),
    ("not-utf8", b"pair,arm,score,origin\nP1,treatment,1,Eritr\xe9a\nP1,control,2,SY\n", (), "line 2", "origin"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("content", "extra", "line", "column"),
    [pytest.param(c, e, ln, col, id=name) for name, c, e, ln, col in BAD_FILES],
)
def test_bad_input_exits_2_with_one_line_naming_line_and_column_and_writes_nothing(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes,
    extra: tuple[str, ...],
    line: str,
    column: str,
) -> None:
    data = tmp_path / "trial.csv"
    data.write_bytes(content)
    output = tmp_path / "result.json"
    outcomes = [a for name in (extra or ("score",)) for a in ("--outcome", name)]
    status = main(["trial", "analyse", str(data), *outcomes, "-o", str(output)])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.endswith("\n")
    assert captured.err.startswith(f"error: {data}: {line}: column {column!r}: ")
    assert not output.exists()
    assert list(tmp_path.iterdir()) == [data]  # no temporary file left behind either


def test_bad_input_leaves_an_existing_result_file_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "trial.csv"
    data.write_text("pair,arm,score\nP1,treatment,1\nP1,control,x\n", encoding="utf-8")
    output = tmp_path / "result.json"
    output.write_text("earlier result\n", encoding="utf-8")
    assert main(["trial", "analyse", str(data), "--outcome", "score", "-o", str(output)]) == 2
    assert output.read_text(encoding="utf-8") == "earlier result\n"
    capsys.readouterr()


def test_unreadable_file_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for path in (tmp_path / "absent.csv", tmp_path):
        assert main(["trial", "analyse", str(path), "--outcome", "score"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert err.startswith(f"error: {path}: line 1: cannot read the file: ")


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ((), "--outcome: name at least one outcome column"),
        (("--outcome", "score", "--seed", "-1"), "--seed: must be an integer >= 0, got '-1'"),
        (("--outcome", "score", "--seed", "x"), "--seed: must be an integer >= 0, got 'x'"),
        (("--outcome", "score", "--draws", "0"), "--draws: must be an integer >= 1, got '0'"),
    ],
)
def test_bad_options_exit_2_with_one_line(
    trial_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    options: tuple[str, ...],
    problem: str,
) -> None:
    output = tmp_path / "result.json"
    assert main(["trial", "analyse", str(trial_file), *options, "-o", str(output)]) == 2
    assert capsys.readouterr().err == f"error: {trial_file}: {problem}\n"
    assert not output.exists()


def test_the_installed_command_reports_bad_input_the_same_way(tmp_path: Path) -> None:
    data = tmp_path / "trial.csv"
    data.write_text("pair,arm,score\nP1,treatment,1\nP1,treated,2\n", encoding="utf-8")
    output = tmp_path / "result.json"
    done = cli("trial", "analyse", data, "--outcome", "score", "-o", output)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"error: {data}: line 3: column 'arm': ")
    assert done.stderr.count("\n") == 1
    assert not output.exists()
