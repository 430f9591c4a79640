"""Server-side SVG charts: valid, accessible, deterministic, offline, and drawn to the data."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from welcomematch import charts
from welcomematch.charts import (
    Estimate,
    Series,
    StackedBar,
    bar_chart,
    interval_chart,
    line_chart,
    stacked_bar_chart,
)

SVG = "{http://www.w3.org/2000/svg}"
LIKERT = ["Strongly agree", "Somewhat agree", "Neutral", "Somewhat disagree", "Strongly disagree"]


def _likert(**kwargs: object) -> str:
    arguments: dict[str, object] = {
        "title": "I trust my match",
        "bars": [
            StackedBar("Group members", [40, 10, 1, 0, 0]),
            StackedBar("Newcomers", [10, 7, 3, 1, 1]),
        ],
        "segments": LIKERT,
    }
    arguments.update(kwargs)
    return stacked_bar_chart(**arguments)  # type: ignore[arg-type]


def _interval() -> str:
    return interval_chart(
        title="Effect on Dutch level",
        estimates=[Estimate("Dutch", 0.4, -0.1, 0.9), Estimate("Work", 0.2, 0.05, 0.35)],
        x_label="Difference",
    )


def _line() -> str:
    return line_chart(
        title="Attrition",
        x=["Month 1", "Month 2", "Month 3"],
        series=[Series("Treatment", [0.0, 0.05, 0.1]), Series("Control", [0.0, None, 0.2])],
        percent=True,
    )


def _bars() -> str:
    return bar_chart(
        title="Pipeline per city",
        categories=["Utrecht", "Rotterdam"],
        series=[Series("Ready", [3, 6]), Series("Matched", [2, 7])],
    )


ALL = [_likert, _interval, _line, _bars]


def _by_suffix(root: ET.Element, suffix: str) -> ET.Element:
    found = [e for e in root.iter() if e.get("id", "").endswith(suffix)]
    assert len(found) == 1, suffix
    return found[0]


def _path_box(group: ET.Element) -> tuple[float, float, float, float]:
    path = group.find(f"{SVG}path")
    assert path is not None
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path.get("d", ""))]
    xs, ys = numbers[0::2], numbers[1::2]
    return min(xs), max(xs), min(ys), max(ys)


@pytest.mark.parametrize("draw", ALL)
def test_chart_is_valid_svg_with_role_title_and_description(draw: object) -> None:
    svg = draw()  # type: ignore[operator]
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None and title.text
    assert desc is not None and desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert root[0] is title


@pytest.fixture(autouse=True)
def fresh_drawings() -> None:
    charts._CACHE.clear()


@pytest.mark.parametrize("draw", ALL)
def test_chart_is_deterministic_to_the_byte(draw: object) -> None:
    first = draw()  # type: ignore[operator]
    charts._CACHE.clear()  # draw again, not from the cache
    assert draw() == first  # type: ignore[operator]


def test_the_same_chart_is_drawn_once() -> None:
    first = _likert()
    assert len(charts._CACHE) == 1
    assert _likert() is first
    _likert(title="Another title")
    assert len(charts._CACHE) == 2


@pytest.mark.parametrize("draw", ALL)
def test_chart_has_no_outside_url_script_or_inline_style(draw: object) -> None:
    svg = draw()  # type: ignore[operator]
    assert re.findall(r"https?://[^\"'\s]*", svg) == ["http://www.w3.org/2000/svg"]
    root = ET.fromstring(svg)
    tags = {element.tag for element in root.iter()}
    assert f"{SVG}script" not in tags and f"{SVG}style" not in tags
    assert f"{SVG}metadata" not in tags
    for element in root.iter():
        assert "style" not in element.attrib
        assert not any(key.startswith("on") for key in element.attrib)
        assert not any("xlink" in key for key in element.attrib)


def test_text_stays_text_in_dejavu_sans() -> None:
    root = ET.fromstring(_likert())
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert "Group members" in texts and "Newcomers" in texts and "Strongly agree" in texts
    assert "78%" in texts  # 40 of 51
    families = {t.get("font-family") for t in root.iter(f"{SVG}text")}
    assert families == {"'DejaVu Sans', sans-serif"}


def test_description_carries_the_figures() -> None:
    root = ET.fromstring(_likert(description="Mid-term survey."))
    desc = root.find(f"{SVG}desc")
    assert desc is not None and desc.text is not None
    assert desc.text.startswith("Mid-term survey. Group members: Strongly agree 78%")
    assert "Newcomers: Strongly agree 45%, Somewhat agree 32%" in desc.text


def test_different_data_draw_different_charts() -> None:
    other = _likert(bars=[StackedBar("Group members", [10, 40, 1, 0, 0])])
    assert other != _likert()


def test_stacked_bar_widths_are_proportional_to_the_shares() -> None:
    root = ET.fromstring(_likert())
    boxes = {
        (b, s): _path_box(_by_suffix(root, f"wm-bar-{b}-{s}")) for b in range(2) for s in range(5)
    }
    full = boxes[(1, 4)][1] - boxes[(1, 0)][0]
    for b, values in enumerate([[40, 10, 1, 0, 0], [10, 7, 3, 1, 1]]):
        total = sum(values)
        for s, value in enumerate(values):
            left, right, _, _ = boxes[(b, s)]
            assert right - left == pytest.approx(full * value / total, abs=0.01)
        # segments follow each other left to right in the given order
        for s in range(4):
            assert boxes[(b, s)][1] == pytest.approx(boxes[(b, s + 1)][0], abs=0.01)
    # the first bar (group members) is drawn above the second
    assert boxes[(0, 0)][3] < boxes[(1, 0)][2]


def test_stacked_bar_without_answers_is_empty_not_an_error() -> None:
    root = ET.fromstring(_likert(bars=[StackedBar("Nobody", [0, 0, 0, 0, 0])]))
    left, right, _, _ = _path_box(_by_suffix(root, "wm-bar-0-0"))
    assert right - left == 0


def test_bar_heights_are_proportional_to_the_values() -> None:
    root = ET.fromstring(_bars())
    heights = {}
    for c in range(2):
        for s in range(2):
            _, _, top, bottom = _path_box(_by_suffix(root, f"wm-bar-{c}-{s}"))
            heights[(c, s)] = bottom - top
    unit = heights[(0, 0)] / 3
    assert heights[(1, 0)] == pytest.approx(6 * unit, abs=0.01)
    assert heights[(0, 1)] == pytest.approx(2 * unit, abs=0.01)
    assert heights[(1, 1)] == pytest.approx(7 * unit, abs=0.01)


def test_stacked_vertical_bars_sit_on_each_other() -> None:
    svg = bar_chart(
        title="Pipeline",
        categories=["Utrecht"],
        series=[Series("Ready", [3]), Series("Matched", [2])],
        stacked=True,
    )
    root = ET.fromstring(svg)
    _, _, ready_top, ready_bottom = _path_box(_by_suffix(root, "wm-bar-0-0"))
    _, _, matched_top, matched_bottom = _path_box(_by_suffix(root, "wm-bar-0-1"))
    assert matched_bottom == pytest.approx(ready_top, abs=0.01)
    assert (matched_bottom - matched_top) / (ready_bottom - ready_top) == pytest.approx(2 / 3)


def test_interval_points_sit_at_their_estimates_relative_to_the_zero_line() -> None:
    root = ET.fromstring(_interval())
    reference = _by_suffix(root, "wm-reference")
    zero_x = _path_box(reference)[0]
    xs = []
    for row in range(2):
        use = next(_by_suffix(root, f"wm-point-{row}").iter(f"{SVG}use"))
        xs.append(float(use.get("x", "nan")))
    # 0.4 and 0.2 from zero: twice as far
    assert xs[0] - zero_x == pytest.approx(2 * (xs[1] - zero_x), abs=0.01)
    assert xs[1] > zero_x


def test_line_chart_leaves_a_gap_for_a_missing_value() -> None:
    root = ET.fromstring(_line())
    treatment = list(_by_suffix(root, "wm-line-0").iter(f"{SVG}use"))
    control = list(_by_suffix(root, "wm-line-1").iter(f"{SVG}use"))
    assert len(treatment) == 3 and len(control) == 2


def test_ids_are_unique_within_a_page_of_charts() -> None:
    page = "".join(draw() for draw in ALL) + _likert(chart_id="other")  # type: ignore[operator]
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert 'id="other-title"' in page
    for reference in re.findall(r'(?:href="#|url\(#)([^")]+)', page):
        assert reference in ids


@pytest.mark.parametrize(
    ("draw", "message"),
    [
        (lambda: _likert(bars=[StackedBar("Short", [1, 2])]), "has 2 values for 5 segments"),
        (lambda: _likert(bars=[StackedBar("Neg", [1, -1, 0, 0, 0])]), "negative"),
        (lambda: _likert(bars=[]), "at least one bar"),
        (
            lambda: interval_chart(title="t", estimates=[Estimate("E", 2.0, 0.0, 1.0)]),
            "outside its interval",
        ),
        (
            lambda: line_chart(title="t", x=[1.0, 2.0], series=[Series("S", [1.0])]),
            "series 'S' has 1 values for 2 x",
        ),
        (
            lambda: bar_chart(title="t", categories=["a"], series=[Series("S", [float("nan")])]),
            "finite",
        ),
    ],
)
def test_bad_input_is_a_clear_error(draw: object, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        draw()  # type: ignore[operator]
