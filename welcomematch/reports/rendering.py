"""The report as JSON, as a self-contained HTML file and as an XLSX workbook.

All three start from one :class:`ReportBundle` (the core's ``welcomematch.report/1`` report,
the items' wording and the programme's figures), so they never disagree. The HTML file
embeds its charts as inline SVG and its styles in one ``<style>`` element: it makes no
outside request and prints well. The workbook has one sheet per section, and every text cell
that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return) is written with a leading apostrophe.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import number_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from welcomematch import charts
from welcomematch.core.scales import SCALES, SIDES
from welcomematch.core.spreadsheet import csv_cell
from welcomematch.core.survey_answers import NUMBER, TEXT
from welcomematch.reports.selectors import (
    DaysSummary,
    ItemText,
    ProgrammeFigures,
    ReportFilter,
    programme_figures,
    survey_report,
)

STATEMENT_SCALES = ("likert5", "satisfaction5", "yes_no")
FORMATS = ("json", "html", "xlsx")
CONTENT_TYPES = {
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True, slots=True)
class ReportBundle:
    """Everything a report file shows."""

    filter: ReportFilter
    report: dict[str, Any]
    texts: list[ItemText]
    figures: ProgrammeFigures


def build_report(flt: ReportFilter) -> ReportBundle:
    report, texts = survey_report(flt)
    return ReportBundle(filter=flt, report=report, texts=texts, figures=programme_figures(flt))


def safe_cell(value: Any) -> Any:
    """A value as a spreadsheet cell; text that would start a formula gets an apostrophe."""
    return csv_cell(value)


def _w(word: str) -> str:
    """A word used inside a composed label, translated (listed so makemessages finds it)."""
    words = {
        "Breakdown reason": _("Breakdown reason"),
        "Matches": _("Matches"),
        "at intake": _("at intake"),
        "intake": _("intake"),
        "invited": _("invited"),
        "maximum": _("maximum"),
        "mean": _("mean"),
        "mean level": _("mean level"),
        "median": _("median"),
        "minimum": _("minimum"),
        "none given": _("none given"),
        "response rate": _("response rate"),
        "responses": _("responses"),
    }
    return words[word]


def side_label(side: str) -> str:
    return {"group_member": _("Group members"), "newcomer": _("Newcomers")}.get(side, side)


def moment_label(moment: str) -> str:
    return {"intake": _("Intake"), "midterm": _("Mid-term"), "final": _("Final")}.get(
        moment, moment
    )


def _language() -> str:
    return (translation.get_language() or "nl").split("-")[0]


def _wording(text: ItemText, side: str, language: str) -> str:
    wording = text.text.get(side) or {}
    return wording.get(language) or wording.get("en") or wording.get("nl") or text.code


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{number_format(value * 100, 1)}%"


def _option_label(scale: str, code: str, language: str) -> str:
    if scale in SCALES:
        return SCALES[scale].option(code).label(language)
    return code


# --- the content shared by the page and the HTML file ------------------------------------


def _chart(text: ItemText, entries: dict[str, dict[str, Any]], language: str) -> str | None:
    title = _wording(text, next(iter(entries)), language) if entries else text.code
    chart_id = f"chart-{text.code}"
    if text.scale == TEXT:
        return None
    if text.scale == NUMBER:
        sides = [side for side in SIDES if side in entries]
        return charts.bar_chart(
            title=title,
            categories=[side_label(side) for side in sides],
            series=[charts.Series(_("Mean"), [entries[side].get("mean") or 0.0 for side in sides])],
            description=_("Mean answer per side."),
            chart_id=chart_id,
        )
    scale = SCALES[text.scale]
    labels = [option.label(language) for option in scale.options]
    if scale.multiple:
        sides = [side for side in SIDES if side in entries]
        return charts.bar_chart(
            title=title,
            categories=labels,
            series=[
                charts.Series(
                    f"{side_label(side)} (n={entries[side]['answered']})",
                    [entries[side]["shares"][code] or 0.0 for code in scale.codes],
                )
                for side in sides
            ],
            percent=True,
            description=_("Share of the respondents who answered that ticked each option."),
            chart_id=chart_id,
        )
    bars = []
    for side in SIDES:
        entry = entries.get(side)
        if entry is None:
            continue
        intake = entry.get("intake")
        if intake is not None:
            bars.append(
                charts.StackedBar(
                    f"{side_label(side)}, {_w('intake')} (n={intake['answered']})",
                    [intake["counts"][code] for code in scale.codes],
                )
            )
        bars.append(
            charts.StackedBar(
                f"{side_label(side)} (n={entry['answered']})",
                [entry["counts"][code] for code in scale.codes],
            )
        )
    return charts.stacked_bar_chart(
        title=title,
        bars=bars,
        segments=labels,
        description=_("Share of the respondents who answered, per answer."),
        chart_id=chart_id,
    )


def sections(bundle: ReportBundle, *, with_charts: bool = True) -> list[dict[str, Any]]:
    """Per item: its wording per side, its figures per side as table rows, and its chart."""
    language = _language()
    by_key = {(entry["item"], entry["side"]): entry for entry in bundle.report["items"]}
    result = []
    for text in bundle.texts:
        entries = {side: by_key[(text.code, side)] for side in SIDES if (text.code, side) in by_key}
        if not entries:
            continue
        sides = []
        for side, entry in entries.items():
            options = []
            if "counts" in entry:
                options = [
                    {
                        "label": _option_label(text.scale, code, language),
                        "count": count,
                        "share": _percent(entry["shares"][code]),
                    }
                    for code, count in entry["counts"].items()
                ]
            summary = []
            for key, label in (
                ("agree_share", _("agree")),
                ("satisfied_share", _("satisfied")),
                ("dissatisfied_share", _("dissatisfied")),
            ):
                if key in entry:
                    summary.append(f"{label}: {_percent(entry[key])}")
            if "mean_level" in entry:
                summary.append(f"{_w('mean level')}: {_level(entry['mean_level'])}")
                intake = entry.get("intake")
                if intake is not None:
                    summary.append(
                        f"{_w('at intake')}: {_level(intake['mean_level'])} (n={intake['answered']})"
                    )
            if text.scale == NUMBER:
                summary.append(
                    f"{_w('mean')}: {_number(entry['mean'])}, {_w('median')}: "
                    f"{_number(entry['median'])}"
                )
            sides.append(
                {
                    "side": side,
                    "label": side_label(side),
                    "wording": _wording(text, side, language),
                    "answered": entry["answered"],
                    "missing": entry["missing"],
                    "options": options,
                    "summary": "; ".join(summary),
                }
            )
        result.append(
            {
                "code": text.code,
                "title": sides[0]["wording"],
                "scale": text.scale,
                "sides": sides,
                "chart": _chart(text, entries, language) if with_charts else None,
            }
        )
    return result


def _level(value: float | None) -> str:
    if value is None:
        return "–"
    codes = SCALES["cefr"].codes
    return f"{number_format(value, 2)} (≈ {codes[round(value)]})"


def _number(value: float | None) -> str:
    return "–" if value is None else number_format(value, 1)


def _days_text(summary: DaysSummary) -> str:
    if not summary.count:
        return "–"
    return _("median %(median)s days, mean %(mean)s (n=%(n)s, %(min)s–%(max)s)") % {
        "median": f"{summary.median:.0f}",
        "mean": f"{summary.mean:.0f}",
        "n": summary.count,
        "min": f"{summary.minimum:.0f}",
        "max": f"{summary.maximum:.0f}",
    }


def context(bundle: ReportBundle, *, with_charts: bool = True) -> dict[str, Any]:
    """The template context of the page and of the HTML file."""
    flt = bundle.filter
    figures = bundle.figures
    responses = [
        {
            "label": side_label(side),
            "responses": bundle.report["responses"][side],
            "invited": figures.invited[side],
            "through_link": figures.through_link[side],
            "rate": _percent(figures.response_rate[side]),
        }
        for side in SIDES
    ]
    arm_labels = {"treatment": _("Treatment (matched)"), "control": _("Control"), "": _("–")}
    arms = [
        {"label": arm_labels.get(arm, arm), **counts}
        for arm, counts in sorted(figures.by_trial_arm.items())
    ]
    return {
        "bundle": bundle,
        "programme": flt.programme,
        "moment_label": moment_label(flt.moment),
        "city": flt.city,
        "date_from": flt.date_from,
        "date_to": flt.date_to,
        "responses": responses,
        "arms": arms,
        "figures": figures,
        "waiting_household": _days_text(figures.waiting_household),
        "waiting_group": _days_text(figures.waiting_group),
        "sections": sections(bundle, with_charts=with_charts),
    }


# --- the three file formats ----------------------------------------------------------------


def render_json(bundle: ReportBundle) -> bytes:
    return (json.dumps(bundle.report, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def render_html(bundle: ReportBundle) -> bytes:
    return render_to_string("reports/files/report.html", context(bundle)).encode("utf-8")


def _sheet(workbook: Workbook, title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]):
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([safe_cell(h) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    sheet.freeze_panes = "A2"
    return sheet


def render_xlsx(bundle: ReportBundle) -> bytes:
    """One sheet per section: responses, statements, language, work and roles, numbers,
    programme."""
    language = _language()
    report = bundle.report
    flt = bundle.filter
    figures = bundle.figures
    workbook = Workbook()
    workbook.remove(workbook.active)
    period = report.get("period") or {}
    summary_rows: list[list[Any]] = [
        [_("Programme"), flt.programme.name],
        [_("Moment"), moment_label(flt.moment)],
        [_("City"), flt.city.name if flt.city else _("All cities")],
        [_("From"), period.get("from") or ""],
        [_("To"), period.get("to") or ""],
    ]
    for side in SIDES:
        summary_rows.append([f"{side_label(side)}: {_w('responses')}", report["responses"][side]])
        summary_rows.append([f"{side_label(side)}: {_w('invited')}", figures.invited[side]])
        summary_rows.append(
            [f"{side_label(side)}: {_w('response rate')}", figures.response_rate[side]]
        )
    _sheet(workbook, _("Responses"), [_("Figure"), _("Value")], summary_rows)
    texts = {text.code: text for text in bundle.texts}
    by_scale: dict[str, list[list[Any]]] = {"statements": [], "cefr": [], "multiple": []}
    numbers: list[list[Any]] = []
    for entry in report["items"]:
        text = texts.get(entry["item"])
        wording = _wording(text, entry["side"], language) if text else entry["item"]
        scale = entry["scale"]
        base = [entry["item"], side_label(entry["side"]), wording]
        if scale == TEXT:
            continue
        if scale == NUMBER:
            numbers.append(
                [
                    *base,
                    entry["answered"],
                    entry["missing"],
                    entry["mean"],
                    entry["median"],
                    entry["min"],
                    entry["max"],
                ]
            )
            continue
        group = (
            "cefr" if scale == "cefr" else "multiple" if SCALES[scale].multiple else "statements"
        )
        summary = entry.get("agree_share", entry.get("satisfied_share", entry.get("mean_level")))
        for code, count in entry["counts"].items():
            row = [
                *base,
                entry["answered"],
                entry["missing"],
                code,
                _option_label(scale, code, language),
                count,
                entry["shares"][code],
            ]
            if group == "statements":
                row += [
                    entry.get("agree_share"),
                    entry.get("satisfied_share"),
                    entry.get("dissatisfied_share"),
                ]
            if group == "cefr":
                row += [summary]
            by_scale[group].append(row)
        intake = entry.get("intake")
        if intake is not None:
            for code, count in intake["counts"].items():
                by_scale["cefr"].append(
                    [
                        entry["item"],
                        f"{side_label(entry['side'])}, {_w('intake')}",
                        wording,
                        intake["answered"],
                        intake["missing"],
                        code,
                        _option_label(scale, code, language),
                        count,
                        intake["shares"][code],
                        intake["mean_level"],
                    ]
                )
    head = [
        _("Item"),
        _("Side"),
        _("Statement"),
        _("Answered"),
        _("Missing"),
        _("Option"),
        _("Answer"),
        _("Count"),
        _("Share"),
    ]
    _sheet(
        workbook,
        _("Statements"),
        [*head, _("Agree share"), _("Satisfied share"), _("Dissatisfied share")],
        by_scale["statements"],
    )
    _sheet(workbook, _("Language"), [*head, _("Mean level")], by_scale["cefr"])
    _sheet(workbook, _("Work and roles"), head, by_scale["multiple"])
    _sheet(
        workbook,
        _("Numbers"),
        [
            _("Item"),
            _("Side"),
            _("Statement"),
            _("Answered"),
            _("Missing"),
            _("Mean"),
            _("Median"),
            _("Minimum"),
            _("Maximum"),
        ],
        numbers,
    )
    programme_rows: list[list[Any]] = [
        [_("Matches made"), figures.matches_made],
        *[
            [f"{_w('Matches')}: {status}", count]
            for status, count in figures.matches_by_status.items()
        ],
        [_("Breakdowns (ended early)"), figures.breakdowns],
        *[
            [f"{_w('Breakdown reason')}: {label or code or _w('none given')}", count]
            for code, label, count in figures.breakdown_reasons
        ],
        [_("Rematches"), figures.rematches],
    ]
    for label, days in (
        (_("Days from household intake to first meeting"), figures.waiting_household),
        (_("Days from group intake to first meeting"), figures.waiting_group),
    ):
        programme_rows += [
            [f"{label}: n", days.count],
            [f"{label}: {_w('median')}", days.median],
            [f"{label}: {_w('mean')}", days.mean],
            [f"{label}: {_w('minimum')}", days.minimum],
            [f"{label}: {_w('maximum')}", days.maximum],
        ]
    _sheet(workbook, _("Programme"), [_("Figure"), _("Value")], programme_rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render(bundle: ReportBundle, fmt: str) -> bytes:
    if fmt == "json":
        return render_json(bundle)
    if fmt == "html":
        return render_html(bundle)
    if fmt == "xlsx":
        return render_xlsx(bundle)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def filename(bundle: ReportBundle, fmt: str) -> str:
    flt = bundle.filter
    parts = [flt.programme.slug, flt.moment]
    if flt.city is not None:
        parts.append(slugify(flt.city.name) or str(flt.city.pk))
    if flt.date_from:
        parts.append(flt.date_from.isoformat())
    if flt.date_to:
        parts.append(flt.date_to.isoformat())
    return "report-" + "-".join(parts) + "." + fmt
