"""The report from stored responses: filters, the contract's figures, programme figures and
the three file formats; the report command."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.reports.conftest import G, N
from welcomematch.cli import main
from welcomematch.core.evaluation import compute_report
from welcomematch.reports import rendering
from welcomematch.reports.selectors import (
    ReportFilter,
    item_specs,
    item_texts,
    programme_figures,
    records,
    submitted_responses,
    survey_report,
)

pytestmark = pytest.mark.django_db


def _entry(report, code, side):
    [entry] = [e for e in report["items"] if e["item"] == code and e["side"] == side]
    return entry


def test_whole_programme_counts_every_submitted_response_anonymous_ones_included(world):
    report, _texts = survey_report(ReportFilter(programme=world["programme"], moment="midterm"))
    assert report["format"] == "welcomematch.report/1"
    assert (report["programme"], report["moment"], report["city"]) == (
        "samen-hier",
        "midterm",
        None,
    )
    assert report["responses"] == {G: 4, N: 4}
    trust = _entry(report, "trust_match", G)
    assert (trust["answered"], trust["missing"]) == (3, 1)
    assert trust["counts"]["strongly_agree"] == 2 and trust["counts"]["strongly_disagree"] == 1
    assert trust["agree_share"] == 2 / 3
    assert "period" not in report


def test_city_filter_keeps_that_citys_responses_and_intake(world):
    flt = ReportFilter(programme=world["programme"], moment="midterm", city=world["almere"])
    report, _texts = survey_report(flt)
    assert report["city"] == "Almere"
    assert report["responses"] == {G: 3, N: 2}
    cefr = _entry(report, "dutch_cefr", N)
    assert cefr["counts"]["B1"] == 1 and cefr["counts"]["A2"] == 1
    assert cefr["mean_level"] == (3 + 2) / 2
    assert cefr["intake"]["responses"] == 2
    assert cefr["intake"]["counts"]["none"] == 1 and cefr["intake"]["counts"]["A1"] == 1
    assert cefr["intake"]["mean_level"] == 0.5
    work = _entry(report, "work_status", N)
    assert work["answered"] == 2
    assert work["shares"]["volunteer"] == 0.5 and work["shares"]["looking"] == 0.5
    satisfaction = _entry(report, "matching_satisfaction", N)
    assert satisfaction["satisfied_share"] == 0.5 and satisfaction["dissatisfied_share"] == 0.5


def test_period_filter_uses_the_submission_date(world):
    flt = ReportFilter(
        programme=world["programme"],
        moment="midterm",
        city=world["almere"],
        date_from=date(2026, 6, 1),
        date_to=date(2026, 6, 10),
    )
    report, _texts = survey_report(flt)
    assert report["period"] == {"from": "2026-06-01", "to": "2026-06-10"}
    assert report["responses"] == {G: 1, N: 2}  # g2 is on 11 June, g3 in May


def test_report_equals_the_core_on_the_same_records(world):
    flt = ReportFilter(programme=world["programme"], moment="midterm")
    report, texts = survey_report(flt)
    direct = compute_report(
        programme="samen-hier",
        moment="midterm",
        items=item_specs(texts),
        responses=records(submitted_responses(flt)),
        intake_responses=records(
            submitted_responses(ReportFilter(programme=world["programme"], moment="intake"))
        ),
    )
    assert report == direct


def test_items_follow_the_instrument_order_with_both_sides(world):
    texts = item_texts(moment="midterm")
    codes = [t.code for t in texts]
    assert codes.index("trust_match") < codes.index("would_recommend")
    trust = next(t for t in texts if t.code == "trust_match")
    assert set(trust.text) == {G, N}
    assert set(next(t for t in texts if t.code == "dutch_cefr").text) == {N}


def test_programme_figures_matches_breakdowns_rematches_and_waiting(world):
    figures = programme_figures(
        ReportFilter(programme=world["programme"], moment="midterm", city=world["almere"])
    )
    assert figures.matches_made == 3  # active, broken after meeting, rematch introduced
    assert figures.breakdowns == 1
    assert [(code, count) for code, _label, count in figures.breakdown_reasons] == [("moved", 1)]
    assert figures.rematches == 1
    waiting = figures.waiting_household
    assert waiting.count == 3
    assert waiting.median == pytest.approx(40, abs=0.01)
    assert waiting.minimum == pytest.approx(20, abs=0.01)
    assert waiting.maximum == pytest.approx(60, abs=0.01)
    assert figures.invited == {G: 0, N: 0} and figures.response_rate == {G: None, N: None}
    everywhere = programme_figures(ReportFilter(programme=world["programme"], moment="midterm"))
    assert everywhere.matches_made == 3 and everywhere.matches_by_status["proposed"] == 1


def _bundle(world, **kwargs):
    return rendering.build_report(
        ReportFilter(programme=world["programme"], moment="midterm", **kwargs)
    )


def test_json_file_is_the_contract_report(world):
    bundle = _bundle(world)
    assert json.loads(rendering.render_json(bundle)) == bundle.report


def test_html_file_is_self_contained_with_one_chart_per_item(world):
    bundle = _bundle(world, city=world["almere"])
    html = rendering.render_html(bundle).decode()
    items = {e["item"] for e in bundle.report["items"] if e["scale"] != "text"}
    charts = re.findall(r"<svg [^>]*role=\"img\"", html)
    assert len(charts) == len(items) > 10
    assert set(re.findall(r"https?://[^\"'\s<>]+", html)) == {"http://www.w3.org/2000/svg"}
    assert "<script" not in html and "<link" not in html and " src=" not in html
    assert "<style>" in html and "@media print" in html
    assert "I trust my match" in html or "trust" in html
    assert "Almere" in html
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))


def test_xlsx_has_one_sheet_per_section_with_the_figures(world):
    bundle = _bundle(world, city=world["almere"])
    workbook = load_workbook(io.BytesIO(rendering.render_xlsx(bundle)))
    assert workbook.sheetnames == [
        "Responses",
        "Statements",
        "Language",
        "Work and roles",
        "Numbers",
        "Programme",
    ]
    statements = list(workbook["Statements"].iter_rows(values_only=True))
    header = statements[0]
    rows = [dict(zip(header, r, strict=True)) for r in statements[1:]]
    trust = [r for r in rows if r["Item"] == "trust_match" and r["Side"] == "Group members"]
    assert {r["Option"]: r["Count"] for r in trust}["strongly_agree"] == 2
    assert trust[0]["Agree share"] == 1.0
    language = list(workbook["Language"].iter_rows(values_only=True))
    assert any(r[1] == "Newcomers, intake" and r[5] == "none" and r[7] == 1 for r in language)
    programme = dict(workbook["Programme"].iter_rows(values_only=True))
    assert programme["Matches made"] == 3 and programme["Rematches"] == 1


def test_xlsx_cells_that_would_be_formulas_are_escaped(world):
    world["programme"].name = '=HYPERLINK("x")'
    world["programme"].save()
    workbook = load_workbook(io.BytesIO(rendering.render_xlsx(_bundle(world))))
    values = [c for row in workbook["Responses"].iter_rows(values_only=True) for c in row]
    assert '\'=HYPERLINK("x")' in values
    for value in ("+1", "-x", "@a", "\tb"):
        assert rendering.safe_cell(value) == "'" + value
    assert rendering.safe_cell(-3) == -3 and rendering.safe_cell("ok") == "ok"


@pytest.mark.parametrize("fmt", ["json", "html", "xlsx"])
def test_report_command_writes_each_format(world, tmp_path: Path, fmt: str, capsys):
    target = tmp_path / f"report.{fmt}"
    status = main(
        [
            "report",
            "--programme",
            "samen-hier",
            "--moment",
            "midterm",
            "--city",
            "almere",
            "--format",
            fmt,
            "-o",
            str(target),
        ]
    )
    assert status == 0, capsys.readouterr().err
    content = target.read_bytes()
    if fmt == "json":
        data = json.loads(content)
        assert data["city"] == "Almere" and data["responses"] == {G: 3, N: 2}
    elif fmt == "html":
        assert b"<svg" in content
    else:
        assert content[:2] == b"PK"


def test_report_command_period(world, tmp_path):
    target = tmp_path / "r.json"
    assert (
        main(
            [
                "report",
                "--programme",
                "samen-hier",
                "--moment",
                "midterm",
                "--from",
                "2026-06-01",
                "--to",
                "2026-06-10",
                "--format",
                "json",
                "-o",
                str(target),
            ]
        )
        == 0
    )
    assert json.loads(target.read_text())["period"] == {"from": "2026-06-01", "to": "2026-06-10"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--programme", "nope"], "no programme 'nope'"),
        (["--programme", "samen-hier", "--city", "Atlantis"], "has no city 'Atlantis'"),
        (
            ["--programme", "samen-hier", "--from", "2026-07-01", "--to", "2026-06-01"],
            "--from is after --to",
        ),
    ],
)
def test_report_command_bad_input_exits_2_with_a_clear_error(
    world, tmp_path, capsys, argv, message
):
    target = tmp_path / "r.json"
    status = main(["report", "--moment", "midterm", "--format", "json", "-o", str(target), *argv])
    assert status == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not target.exists()


def test_report_command_bad_date_exits_2(world, tmp_path, capsys):
    with pytest.raises(SystemExit) as raised:
        main(
            [
                "report",
                "--programme",
                "samen-hier",
                "--moment",
                "midterm",
                "--from",
                "June",
                "--format",
                "json",
                "-o",
                str(tmp_path / "r.json"),
            ]
        )
    assert raised.value.code == 2
    assert "not a date" in capsys.readouterr().err
