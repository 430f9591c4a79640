"""Server-side SVG charts for pages and downloaded reports (presentation; no Django).

Each function draws one chart with matplotlib's SVG backend and returns the SVG as a string
ready to be placed inline in an HTML page or written to a file:

- text stays text (``svg.fonttype = "none"``, DejaVu Sans), so it can be read, searched,
  copied and translated by the browser;
- the output is deterministic: the same input gives the same bytes (fixed ``svg.hashsalt``,
  no creation date or other metadata);
- it is accessible: ``role="img"``, a ``<title>`` and a ``<desc>`` (the caller's description
  followed by the figures drawn, as text) referenced by ``aria-labelledby``;
- it is safe under a strict Content-Security-Policy and offline: no script, no ``<style>``
  element, no ``style`` attributes (matplotlib's inline styles become presentation
  attributes), no outside URL (the only ``http`` is the SVG namespace), ``href`` instead of
  ``xlink:href``;
- its ids are prefixed per chart, so several charts can sit in one page without clashing.
  Data marks carry ids ending in ``wm-bar-<bar>-<segment>`` (bars), ``wm-point-<row>``
  (interval estimates), ``wm-reference`` (the reference line) and ``wm-line-<series>``
  (lines), so tests and scripts can find them.

Labels are passed in already translated; numbers (in the figures, on the axes and in the
description) are written with the decimal mark of the page's language, which the site sets
with :func:`use_decimal_mark` (a point without it).
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import re
import threading
import xml.etree.ElementTree as ET
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import matplotlib
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, ScalarFormatter

__all__ = [
    "LIKERT_COLOURS",
    "PALETTE",
    "SEQUENTIAL_COLOURS",
    "Estimate",
    "Series",
    "StackedBar",
    "bar_chart",
    "interval_chart",
    "line_chart",
    "stacked_bar_chart",
    "use_decimal_mark",
]

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"

#: Diverging colours for five ordered answers, most positive first (ColorBrewer RdBu,
#: colour-blind safe, with a grey middle): strongly agree ... strongly disagree.
LIKERT_COLOURS: tuple[str, ...] = ("#2166ac", "#92c5de", "#d9d9d9", "#f4a582", "#b2182b")
#: Sequential colours for seven ordered levels, lowest first (ColorBrewer YlGnBu): CEFR none ... C2.
SEQUENTIAL_COLOURS: tuple[str, ...] = (
    "#ffffcc",
    "#c7e9b4",
    "#7fcdbb",
    "#41b6c4",
    "#1d91c0",
    "#225ea8",
    "#0c2c84",
)
#: Qualitative colours for series (Okabe-Ito, colour-blind safe), in order of use.
PALETTE: tuple[str, ...] = (
    "#0072b2",
    "#e69f00",
    "#009e73",
    "#cc79a7",
    "#56b4e9",
    "#d55e00",
    "#f0e442",
    "#000000",
)
_TEXT = "#1a1a1a"
_GRID = "#cccccc"
_WIDTH_IN = 7.0

_RC: dict[Any, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "welcomematch",
    "svg.image_inline": True,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 10.0,
    "text.parse_math": False,
    "text.color": _TEXT,
    "axes.labelcolor": _TEXT,
    "xtick.color": _TEXT,
    "ytick.color": _TEXT,
    "axes.edgecolor": "#666666",
    "path.simplify": False,
}
# matplotlib's rcParams are process-wide: one chart is drawn at a time.
_LOCK = threading.Lock()
# Drawing takes a fraction of a second; the same chart (same arguments) is drawn once.
_CACHE: OrderedDict[str, str] = OrderedDict()
_CACHE_SIZE = 512
_CACHE_LOCK = threading.Lock()
_Chart = TypeVar("_Chart", bound=Callable[..., str])


def _cached(function: _Chart) -> _Chart:
    """Remember the SVG of the last charts drawn, keyed by every argument (all keywords)."""

    @functools.wraps(function)
    def wrapper(**kwargs: Any) -> str:
        key = function.__name__ + _decimal_mark() + repr(sorted(kwargs.items()))
        with _CACHE_LOCK:
            svg = _CACHE.get(key)
            if svg is not None:
                _CACHE.move_to_end(key)
                return svg
        svg = function(**kwargs)
        with _CACHE_LOCK:
            _CACHE[key] = svg
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
        return svg

    return cast(_Chart, wrapper)


_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}


@dataclass(frozen=True, slots=True)
class StackedBar:
    """One horizontal bar of a stacked bar chart: its label and one value per segment."""

    label: str
    values: Sequence[float]


@dataclass(frozen=True, slots=True)
class Estimate:
    """A point estimate with its interval (e.g. a 95% confidence interval)."""

    label: str
    estimate: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class Series:
    """A named series of values (``None`` for a missing value) and an optional colour."""

    label: str
    values: Sequence[float | None]
    colour: str | None = None


def _point() -> str:
    return "."


#: The decimal mark of the language being drawn in (see :func:`use_decimal_mark`).
_decimal_mark: Callable[[], str] = _point


def use_decimal_mark(source: Callable[[], str]) -> None:
    """Take the decimal mark from ``source`` at each drawing (the site passes its active
    language's, so Dutch pages read "7,5" and English ones "7.5")."""
    global _decimal_mark
    _decimal_mark = source


def _localised(text: str) -> str:
    mark = _decimal_mark()
    return text if mark == "." else text.replace(".", mark)


class _LocalisedScalarFormatter(ScalarFormatter):
    """matplotlib's tick numbers with the language's decimal mark."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        return _localised(super().__call__(x, pos))


def _percent(value: float) -> str:
    return _localised(f"{value * 100:.0f}%")


def _number(value: float) -> str:
    if math.isfinite(value) and float(value).is_integer():
        return str(int(value))
    return _localised(f"{value:.3g}")


def _check_finite(name: str, values: Sequence[float | None]) -> None:
    for value in values:
        if value is not None and not math.isfinite(value):
            raise ValueError(f"{name}: values must be finite numbers, got {value!r}")


def _text_width(labels: Sequence[str], size: float = 10.0) -> float:
    """An upper estimate of the width in points of the longest label (DejaVu Sans)."""
    return max((len(label) for label in labels), default=0) * size * 0.62


def _new_figure(
    height_in: float, *, left: float, bottom: float, top: float, right: float = 14.0
) -> Figure:
    """A figure with fixed margins in points (a layout engine would draw every chart twice)."""
    height_in = max(1.6, height_in)
    figure = Figure(figsize=(_WIDTH_IN, height_in))
    FigureCanvasSVG(figure)
    width_pt, height_pt = _WIDTH_IN * 72, height_in * 72
    left = min(left, width_pt * 0.45)
    figure.subplots_adjust(
        left=left / width_pt,
        right=1 - right / width_pt,
        bottom=bottom / height_pt,
        top=1 - top / height_pt,
    )
    return figure


def _render(figure: Figure, *, title: str, description: str, chart_id: str | None) -> str:
    for axes in figure.axes:
        for axis in (axes.xaxis, axes.yaxis):
            if type(axis.get_major_formatter()) is ScalarFormatter:
                axis.set_major_formatter(_LocalisedScalarFormatter())
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata=_METADATA)
    return _finish(buffer.getvalue(), title=title, description=description, chart_id=chart_id)


_URL_REF = re.compile(r"url\(#([^)]+)\)")


def _finish(raw: str, *, title: str, description: str, chart_id: str | None) -> str:
    """matplotlib's SVG made accessible, CSP-safe, offline and embeddable (see module doc)."""
    prefix = chart_id or "chart-" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:10]
    root = ET.fromstring(raw)
    parents = {child: parent for parent in root.iter() for child in parent}
    referenced: set[str] = set()
    for element in root.iter():
        for key, value in element.attrib.items():
            if key in (f"{{{XLINK_NS}}}href", "href") and value.startswith("#"):
                referenced.add(value[1:])
            referenced.update(_URL_REF.findall(value))
    root_attrs: dict[str, str] = {}
    for element in list(root.iter()):
        tag = element.tag.rsplit("}", 1)[-1]
        if tag in ("style", "metadata", "script"):
            if tag == "style":
                for rule in re.findall(r"\{([^}]*)\}", element.text or ""):
                    root_attrs.update(_declarations(rule))
            parents[element].remove(element)
            continue
        attrib = dict(element.attrib)
        element.attrib.clear()
        for key, value in attrib.items():
            if key == "style":
                for name, css in _declarations(value).items():
                    element.set(name, css)
            elif key == f"{{{XLINK_NS}}}href" or key == "href":
                element.set("href", "#" + prefix + "-" + value[1:])
            elif key == "id":
                if value in referenced or value.startswith("wm-"):
                    element.set("id", prefix + "-" + value)
            else:
                element.set(key, _URL_REF.sub(lambda m: f"url(#{prefix}-{m.group(1)})", value))
    for name, css in root_attrs.items():
        root.set(name, css)
    for defs in [e for e in root if e.tag == f"{{{SVG_NS}}}defs" and len(e) == 0]:
        root.remove(defs)
    # Plain tags and an explicit xmlns: ElementTree's namespace prefixes are process-wide, and
    # another library registering one for SVG must not change these bytes.
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            element.tag = element.tag.split("}", 1)[1]
    root.set("xmlns", SVG_NS)
    title_id, desc_id = f"{prefix}-title", f"{prefix}-desc"
    root.set("role", "img")
    root.set("aria-labelledby", f"{title_id} {desc_id}")
    root.set("class", "wm-chart")
    title_element = ET.Element("title", {"id": title_id})
    title_element.text = title
    desc_element = ET.Element("desc", {"id": desc_id})
    desc_element.text = description
    root.insert(0, desc_element)
    root.insert(0, title_element)
    return ET.tostring(root, encoding="unicode")


def _declarations(css: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for declaration in css.split(";"):
        if ":" in declaration:
            name, value = declaration.split(":", 1)
            result[name.strip()] = value.strip()
    return result


def _summary(description: str, lines: Sequence[str]) -> str:
    parts = [description.strip()] if description.strip() else []
    parts.extend(lines)
    return " ".join(part if part.endswith(".") else part + "." for part in parts)


@_cached
def stacked_bar_chart(
    *,
    title: str,
    bars: Sequence[StackedBar],
    segments: Sequence[str],
    description: str = "",
    colours: Sequence[str] | None = None,
    normalise: bool = True,
    chart_id: str | None = None,
) -> str:
    """Horizontal stacked bars, one per row, in the style of the pilot's report.

    Each bar is split into ``segments`` (e.g. strongly agree ... strongly disagree) drawn left
    to right in order, with the legend above. With ``normalise`` (the default) a bar's values
    are divided by their total, so each bar spans 0-100% and segment widths are shares; a bar
    whose values add up to 0 is drawn empty. Segments of 5% or more are labelled with their
    percentage. Put two bars per statement (group members, newcomers) to show the sides side
    by side.
    """
    if not bars:
        raise ValueError("stacked_bar_chart: at least one bar is needed")
    for bar in bars:
        if len(bar.values) != len(segments):
            raise ValueError(
                f"stacked_bar_chart: bar {bar.label!r} has {len(bar.values)} values "
                f"for {len(segments)} segments"
            )
        _check_finite(f"bar {bar.label!r}", bar.values)
        if any(value < 0 for value in bar.values):
            raise ValueError(f"stacked_bar_chart: bar {bar.label!r} has a negative value")
    palette = tuple(colours) if colours else _segment_colours(len(segments))
    rows: list[list[float]] = []
    for bar in bars:
        total = sum(bar.values)
        if normalise:
            rows.append([value / total if total else 0.0 for value in bar.values])
        else:
            rows.append([float(value) for value in bar.values])
    with _LOCK, matplotlib.rc_context(_RC):
        legend_rows = math.ceil(len(segments) / 3)
        figure = _new_figure(
            0.7 + 0.42 * len(bars) + 0.22 * legend_rows,
            left=_text_width([bar.label for bar in bars]) + 14,
            bottom=24,
            top=legend_rows * 15 + 8,
        )
        axes = figure.add_subplot()
        positions = list(range(len(bars)))
        lefts = [0.0] * len(bars)
        for s, segment in enumerate(segments):
            widths = [row[s] for row in rows]
            containers = axes.barh(
                positions,
                widths,
                left=lefts,
                height=0.7,
                color=palette[s % len(palette)],
                edgecolor="white",
                linewidth=0.5,
                label=segment,
            )
            for b, patch in enumerate(containers.patches):
                patch.set_gid(f"wm-bar-{b}-{s}")
                width = widths[b]
                if normalise and width >= 0.05:
                    axes.text(
                        lefts[b] + width / 2,
                        b,
                        _percent(width),
                        ha="center",
                        va="center",
                        fontsize=8,
                        color="white" if _is_dark(palette[s % len(palette)]) else _TEXT,
                    )
            lefts = [left + width for left, width in zip(lefts, widths, strict=True)]
        axes.set_yticks(positions, [bar.label for bar in bars])
        axes.invert_yaxis()
        if normalise:
            axes.set_xlim(0, 1)
            axes.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _percent(v)))
        else:
            axes.set_xlim(0, max(max(lefts), 1.0))
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        handles, handle_labels = axes.get_legend_handles_labels()
        figure.legend(
            handles,
            handle_labels,
            loc="upper left",
            bbox_to_anchor=(0.0, 1.0),
            ncols=min(len(segments), 3),
            frameon=False,
            fontsize=8,
        )
        lines = []
        for bar, row in zip(bars, rows, strict=True):
            shown = _percent if normalise else _number
            figures = ", ".join(
                f"{segment} {shown(value)}" for segment, value in zip(segments, row, strict=True)
            )
            lines.append(f"{bar.label}: {figures}")
        return _render(
            figure, title=title, description=_summary(description, lines), chart_id=chart_id
        )


@_cached
def interval_chart(
    *,
    title: str,
    estimates: Sequence[Estimate],
    description: str = "",
    x_label: str = "",
    reference: float = 0.0,
    chart_id: str | None = None,
) -> str:
    """Point estimates with their intervals, one row each, and a vertical reference line.

    Used for treatment effects with 95% confidence intervals: a row whose interval does not
    cross the ``reference`` line (zero, no effect) is drawn darker.
    """
    if not estimates:
        raise ValueError("interval_chart: at least one estimate is needed")
    for item in estimates:
        _check_finite(f"estimate {item.label!r}", (item.estimate, item.low, item.high))
        if not item.low <= item.estimate <= item.high:
            raise ValueError(
                f"interval_chart: estimate {item.label!r} lies outside its interval "
                f"[{item.low}, {item.high}]"
            )
    with _LOCK, matplotlib.rc_context(_RC):
        figure = _new_figure(
            0.7 + 0.45 * len(estimates),
            left=_text_width([item.label for item in estimates]) + 14,
            bottom=40 if x_label else 24,
            top=10,
        )
        axes = figure.add_subplot()
        reference_line = axes.axvline(
            reference, color="#666666", linewidth=1, linestyle="--", zorder=1
        )
        reference_line.set_gid("wm-reference")
        for row, item in enumerate(estimates):
            crosses = item.low <= reference <= item.high
            colour = "#7f7f7f" if crosses else PALETTE[0]
            container = axes.errorbar(
                [item.estimate],
                [row],
                xerr=[[item.estimate - item.low], [item.high - item.estimate]],
                fmt="o",
                color=colour,
                ecolor=colour,
                capsize=4,
                markersize=6,
                zorder=2,
            )
            container.lines[0].set_gid(f"wm-point-{row}")
        axes.set_yticks(range(len(estimates)), [item.label for item in estimates])
        axes.invert_yaxis()
        axes.set_ylim(len(estimates) - 0.5, -0.5)
        low = min(min(item.low for item in estimates), reference)
        high = max(max(item.high for item in estimates), reference)
        margin = (high - low) * 0.08 or 1.0
        axes.set_xlim(low - margin, high + margin)
        if x_label:
            axes.set_xlabel(x_label)
        axes.grid(axis="x", color=_GRID, linewidth=0.5)
        axes.set_axisbelow(True)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        lines = [
            f"{item.label}: {_number(item.estimate)} ({_number(item.low)} – {_number(item.high)})"
            for item in estimates
        ]
        return _render(
            figure, title=title, description=_summary(description, lines), chart_id=chart_id
        )


@_cached
def line_chart(
    *,
    title: str,
    x: Sequence[str] | Sequence[float],
    series: Sequence[Series],
    description: str = "",
    x_label: str = "",
    y_label: str = "",
    percent: bool = False,
    chart_id: str | None = None,
) -> str:
    """One line with markers per series over ``x`` (category labels or numbers).

    ``None`` values leave a gap. With ``percent`` the values are shares (0-1) shown as
    percentages and the y axis runs from 0 to 100%.
    """
    if not series:
        raise ValueError("line_chart: at least one series is needed")
    for item in series:
        if len(item.values) != len(x):
            raise ValueError(
                f"line_chart: series {item.label!r} has {len(item.values)} values for {len(x)} x"
            )
        _check_finite(f"series {item.label!r}", item.values)
    categorical = any(isinstance(value, str) for value in x)
    positions = [float(i) for i in range(len(x))] if categorical else [float(v) for v in x]
    with _LOCK, matplotlib.rc_context(_RC):
        tick_labels = [str(v) for v in x] if categorical else []
        figure = _new_figure(
            3.2,
            left=(58 if percent else 50) + (16 if y_label else 0),
            bottom=(40 if x_label else 26) + (_text_width(tick_labels) * 0.5 if len(x) > 6 else 0),
            top=10,
        )
        axes = figure.add_subplot()
        for s, item in enumerate(series):
            values = [math.nan if value is None else value for value in item.values]
            (line,) = axes.plot(
                positions,
                values,
                marker="o",
                markersize=4,
                linewidth=1.8,
                color=item.colour or PALETTE[s % len(PALETTE)],
                label=item.label,
            )
            line.set_gid(f"wm-line-{s}")
        if categorical:
            axes.set_xticks(positions, tick_labels)
            if len(x) > 6:
                for label in axes.get_xticklabels():
                    label.set_rotation(30)
                    label.set_horizontalalignment("right")
        if percent:
            axes.set_ylim(0, 1)
            axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _percent(v)))
        else:
            axes.set_ylim(bottom=min(0.0, *(v for i in series for v in i.values if v is not None)))
        if x_label:
            axes.set_xlabel(x_label)
        if y_label:
            axes.set_ylabel(y_label)
        axes.grid(axis="y", color=_GRID, linewidth=0.5)
        axes.set_axisbelow(True)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        if len(series) > 1:
            axes.legend(frameon=False, fontsize=8)
        shown = _percent if percent else _number
        lines = [
            f"{item.label}: "
            + ", ".join(
                f"{label} {'-' if value is None else shown(value)}"
                for label, value in zip(x, item.values, strict=True)
            )
            for item in series
        ]
        return _render(
            figure, title=title, description=_summary(description, lines), chart_id=chart_id
        )


@_cached
def bar_chart(
    *,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    description: str = "",
    stacked: bool = False,
    y_label: str = "",
    percent: bool = False,
    chart_id: str | None = None,
) -> str:
    """Vertical bars per category: one series plain, several grouped side by side or stacked.

    Values must not be negative; ``None`` counts as 0. Bars are labelled with their value
    (plain bars and grouped bars) so the figures can be read without the axis.
    """
    if not series:
        raise ValueError("bar_chart: at least one series is needed")
    for item in series:
        if len(item.values) != len(categories):
            raise ValueError(
                f"bar_chart: series {item.label!r} has {len(item.values)} values "
                f"for {len(categories)} categories"
            )
        _check_finite(f"series {item.label!r}", item.values)
        if any(value is not None and value < 0 for value in item.values):
            raise ValueError(f"bar_chart: series {item.label!r} has a negative value")
    shown = _percent if percent else _number
    with _LOCK, matplotlib.rc_context(_RC):
        rotated = len(categories) > 5
        figure = _new_figure(
            3.2 + (0.3 if rotated else 0.0),
            left=(58 if percent else 50) + (16 if y_label else 0),
            bottom=26 + (_text_width(categories) * 0.55 if rotated else 0),
            top=10,
        )
        axes = figure.add_subplot()
        count = len(series)
        width = 0.75 if stacked or count == 1 else 0.8 / count
        bottoms = [0.0] * len(categories)
        for s, item in enumerate(series):
            values = [float(value or 0.0) for value in item.values]
            if stacked:
                positions = [float(c) for c in range(len(categories))]
            else:
                positions = [c - 0.4 + width * (s + 0.5) for c in range(len(categories))]
                if count == 1:
                    positions = [float(c) for c in range(len(categories))]
            containers = axes.bar(
                positions,
                values,
                width=width,
                bottom=bottoms if stacked else None,
                color=item.colour or PALETTE[s % len(PALETTE)],
                edgecolor="white",
                linewidth=0.5,
                label=item.label,
            )
            for c, patch in enumerate(containers.patches):
                patch.set_gid(f"wm-bar-{c}-{s}")
            if not stacked:
                axes.bar_label(containers, labels=[shown(v) for v in values], fontsize=8)
            if stacked:
                bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
        if stacked:
            axes.bar_label(containers, labels=[shown(v) for v in bottoms], fontsize=8)
        axes.set_xticks(range(len(categories)), list(categories))
        if rotated:
            for label in axes.get_xticklabels():
                label.set_rotation(30)
                label.set_horizontalalignment("right")
        if percent:
            axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: _percent(v)))
        else:
            axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.margins(y=0.12)
        if y_label:
            axes.set_ylabel(y_label)
        axes.grid(axis="y", color=_GRID, linewidth=0.5)
        axes.set_axisbelow(True)
        for side in ("top", "right"):
            axes.spines[side].set_visible(False)
        if count > 1:
            axes.legend(frameon=False, fontsize=8)
        lines = [
            f"{category}: "
            + ", ".join(f"{item.label} {shown(float(item.values[c] or 0.0))}" for item in series)
            for c, category in enumerate(categories)
        ]
        return _render(
            figure, title=title, description=_summary(description, lines), chart_id=chart_id
        )


def _segment_colours(count: int) -> tuple[str, ...]:
    if count == 5:
        return LIKERT_COLOURS
    if count == 2:
        return (LIKERT_COLOURS[0], LIKERT_COLOURS[4])
    if count == len(SEQUENTIAL_COLOURS):
        return SEQUENTIAL_COLOURS
    return PALETTE


def _is_dark(colour: str) -> bool:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.299 * red + 0.587 * green + 0.114 * blue < 140
