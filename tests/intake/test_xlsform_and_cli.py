"""XLSForm export validated by pyxform; the console commands."""

from __future__ import annotations

import argparse
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.intake.answers import group_answers
from tests.intake.exports import kobo_export
from welcomematch.cli import intake as cli
from welcomematch.intake.models import Postcode, WelcomeGroup
from welcomematch.intake.questions import QUESTIONNAIRES
from welcomematch.intake.xlsform import xlsform_bytes

pytestmark = pytest.mark.django_db


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


@pytest.mark.parametrize("kind", ["groups", "households"])
def test_xlsform_is_valid_for_pyxform_and_bilingual(kind: str) -> None:
    from pyxform.xls2xform import convert

    content = xlsform_bytes(QUESTIONNAIRES[kind])
    result = convert(xlsform=content, file_type=".xlsx")
    assert "<h:html" in result.xform
    assert 'lang="Nederlands (nl)"' in result.xform and 'lang="English (en)"' in result.xform
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["survey", "choices", "settings"]
    header = [c.value for c in workbook["survey"][1]]
    assert "label::Nederlands (nl)" in header and "label::English (en)" in header


@pytest.mark.parametrize("kind", ["groups", "households"])
def test_intake_form_command_writes_the_xlsform(tmp_path: Path, kind: str) -> None:
    target = tmp_path / f"{kind}.xlsx"
    args = parse(["intake-form", kind, "-o", str(target)])
    assert args.handler(args) == 0
    assert load_workbook(target)["settings"]["B2"].value == QUESTIONNAIRES[kind].form_id


def test_postcodes_load_command_loads_a_geonames_file(tmp_path: Path, capsys: Any) -> None:
    dump = tmp_path / "NL.txt"
    dump.write_text(
        "NL\t1315\tAlmere\tFlevoland\t16\tGemeente Almere\t0034\t\t\t52.3712\t5.2178\t\n", "utf-8"
    )
    args = parse(["postcodes", "load", str(dump)])
    assert args.handler(args) == 0
    assert Postcode.objects.get(code="1315").municipality == "Gemeente Almere"
    assert "GeoNames" in capsys.readouterr().out


def test_postcodes_load_command_refuses_a_broken_file(tmp_path: Path) -> None:
    dump = tmp_path / "NL.txt"
    dump.write_text("not a geonames file\n", "utf-8")
    args = parse(["postcodes", "load", str(dump)])
    assert args.handler(args) == 2
    assert not Postcode.objects.exists()


def test_import_command_dry_runs_then_commits(
    tmp_path: Path, city: Any, postcodes: int, capsys: Any
) -> None:
    export = tmp_path / "export.xlsx"
    export.write_bytes(
        kobo_export(
            xlsform_bytes(QUESTIONNAIRES["groups"]), [{"uuid": "cli-1", "answers": group_answers()}]
        )
    )
    args = parse(["import", "groups", str(export), "--city", "Almere"])
    assert args.handler(args) == 0
    assert "Dry run" in capsys.readouterr().out
    assert not WelcomeGroup.objects.exists()
    args = parse(["import", "groups", str(export), "--city", "Almere", "--commit"])
    assert args.handler(args) == 0
    assert WelcomeGroup.objects.get().external_uuid == "cli-1"


def test_import_command_reports_errors_and_exits_2(
    tmp_path: Path, city: Any, postcodes: int, capsys: Any
) -> None:
    export = tmp_path / "export.xlsx"
    export.write_bytes(
        kobo_export(
            xlsform_bytes(QUESTIONNAIRES["groups"]),
            [{"uuid": "cli-1", "answers": group_answers(postcode="1011 AB")}],
        )
    )
    args = parse(["import", "groups", str(export), "--city", "Almere", "--commit"])
    assert args.handler(args) == 2
    assert "group/postcode" in capsys.readouterr().out
    assert not WelcomeGroup.objects.exists()
