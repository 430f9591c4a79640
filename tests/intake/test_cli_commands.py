"""The README's intake commands in a fresh shell (no SECRET_KEY, no DEBUG) and on bad input:
they run, or end in one clear line and exit status 2 — never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from welcomematch import cli
from welcomematch.intake.importing import ERR_MAP_SYNTAX
from welcomematch.intake.models import WelcomeGroup

FIXTURES = Path(__file__).parent / "fixtures"


def fresh_shell(home: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
        and not k.startswith("WELCOMEMATCH_")
    }
    env["WELCOMEMATCH_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "welcomematch", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_local_commands_run_in_a_fresh_shell_without_secret_key(tmp_path: Path) -> None:
    home = tmp_path / "data"
    steps = [
        (("manage", "migrate", "-v", "0"), 0),
        (("intake-form", "groups", "-o", str(tmp_path / "g.xlsx")), 0),
        (("postcodes", "load", "demo"), 0),
        (("import", "groups", str(FIXTURES / "odk-central/groups.csv.zip")), 2),  # no programme
        (("imports-purge",), 0),
        (("serve", "--address", "0.0.0.0:8765"), 2),  # serving the network needs SECRET_KEY
    ]
    for argv, status in steps:
        result = fresh_shell(home, *argv)
        assert result.returncode == status, (argv, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr + result.stdout, argv
    assert (tmp_path / "g.xlsx").exists()
    assert (home / "secret_key.txt").exists()
    assert "no programme yet" in fresh_shell(home, *steps[3][0]).stderr
    assert "SECRET_KEY is not set" in fresh_shell(home, *steps[-1][0]).stderr


def test_a_command_before_migrate_says_to_migrate(tmp_path: Path) -> None:
    result = fresh_shell(
        tmp_path / "empty", "intake-form", "groups", "-o", str(tmp_path / "g.xlsx")
    )
    assert result.returncode == 2
    assert "welcomematch manage migrate" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["import", "groups", "{export}", "--city", "Almere", "--map", "Groepsnaam"],
            "HEADER=FIELD",
        ),
        (
            ["import", "groups", "{export}", "--city", "Almere", "--map", "X=nam"],
            "did you mean name",
        ),
        (
            ["import", "groups", "{export}", "--city", "Almere", "--map", "X=languages/xx"],
            "not a question",
        ),
        (["import", "groups", "/no/such/file.csv", "--city", "Almere"], "No such file"),
        (["import", "groups", "{export}", "--city", "Nergens"], "has no city 'Nergens'"),
        (["import", "groups", "{export}", "--programme", "nope"], "no programme 'nope'"),
        (["intake-form", "groups", "-o", "/no/such/dir/g.xlsx"], "cannot write"),
        (["postcodes", "load", "/no/such/NL.txt"], "No such file"),
        (["imports-purge", "--hours", "-1"], "--hours"),
    ],
)
def test_bad_input_ends_in_one_clear_error_and_status_2(
    city: Any, capsys: Any, argv: list[str], message: str
) -> None:
    export = str(FIXTURES / "odk-central/groups.csv.zip")
    status = cli.main([a.replace("{export}", export) for a in argv])
    err = capsys.readouterr().err
    assert status == 2
    assert message in err and "Traceback" not in err
    assert not WelcomeGroup.objects.exists()


@pytest.mark.django_db
def test_a_map_item_without_equals_is_refused_not_ignored(city: Any, capsys: Any) -> None:
    export = str(FIXTURES / "odk-central/groups.csv.zip")
    assert cli.main(["import", "groups", export, "--city", "Almere", "--map", "x"]) == 2
    assert ERR_MAP_SYNTAX.format(item="x") in capsys.readouterr().err


@pytest.mark.django_db
def test_unknown_columns_are_reported_once_with_the_closest_names_and_the_map_syntax(
    city: Any, postcodes: int, tmp_path: Path, capsys: Any
) -> None:
    import zipfile

    source = zipfile.ZipFile(FIXTURES / "odk-central/groups.csv.zip")
    main = source.read("welcomematch_group_intake.csv").decode()
    main = main.replace("group-postcode,", "group-postcde,", 1)
    export = tmp_path / "g.csv.zip"
    with zipfile.ZipFile(export, "w") as target:
        target.writestr("welcomematch_group_intake.csv", main)
        target.writestr(
            "welcomematch_group_intake-members.csv",
            source.read("welcomematch_group_intake-members.csv"),
        )
    assert cli.main(["import", "groups", str(export), "--city", "Almere"]) == 2
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "'group-postcde'" in line]
    assert len(lines) == 1
    assert "closest: postcode" in lines[0]
    assert '--map "group-postcde=FIELD"' in lines[0]
    # Mapping it by hand makes the same export import.
    args = ["import", "groups", str(export), "--city", "Almere", "--commit"]
    assert cli.main([*args, "--map", "group-postcde=postcode"]) == 0
    assert WelcomeGroup.objects.count() == 2
