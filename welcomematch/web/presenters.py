"""Turn selector results into what templates show: stage tables, labelled codes.

Plain functions over already-fetched rows; no queries and no writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from welcomematch.intake.questions import choice_label
from welcomematch.programmes.selectors import CategoryLabels as Labels
from welcomematch.web.selectors import Stage


@dataclass
class StageCell:
    stage: str
    label: str
    count: int


@dataclass
class StageRow:
    """One row of a dashboard table: a city (or the totals, with ``city_id`` None)."""

    label: str
    city_id: int | None
    cells: list[StageCell] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(cell.count for cell in self.cells)


@dataclass
class StageTable:
    stages: list[Stage]
    rows: list[StageRow]
    totals: StageRow


def stage_table(
    *,
    counts: Iterable[Mapping[str, Any]],
    cities: Iterable[Any],
    total_label: str,
    stages: list[Stage],
) -> StageTable:
    """A city × stage table with a totals row; ``counts`` are ``{"city_id","stage","n"}`` rows.

    Counts of cities not in ``cities`` are left out, so the totals are the sum of the rows.
    """
    by_cell: dict[tuple[int, str], int] = {}
    for row in counts:
        by_cell[(row["city_id"], row["stage"])] = row["n"]
    rows = [
        StageRow(
            label=city.name,
            city_id=city.pk,
            cells=[
                StageCell(s.value, str(s.label), by_cell.get((city.pk, s.value), 0)) for s in stages
            ],
        )
        for city in cities
    ]
    totals = StageRow(
        label=total_label,
        city_id=None,
        cells=[
            StageCell(s.value, str(s.label), sum(r.cells[i].count for r in rows))
            for i, s in enumerate(stages)
        ],
    )
    return StageTable(stages=stages, rows=rows, totals=totals)


def languages(labels: Labels, value: Any) -> list[str]:
    """Languages stored as codes (``["ar", "nl"]``) or as ``{"code": ..., "level": ...}``."""
    shown = []
    for item in value or ():
        if isinstance(item, Mapping):
            code = item.get("code") or item.get("language") or ""
            level = item.get("level") or item.get("cefr") or ""
            name = labels("language", code)
            shown.append(f"{name} ({level})" if level else name)
        else:
            shown.append(labels("language", item))
    return shown


def ssm_rows(labels: Labels, scores: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(domain label, score in words: "2 – not self-sufficient") as recorded."""
    return [
        (labels("ssm_domain", domain), choice_label("ssm_scale", str(score)))
        for domain, score in (scores or {}).items()
    ]


def flag_rows(labels: Labels, flags: Mapping[str, Any]) -> list[tuple[str, bool]]:
    return [(labels("support_need", flag), bool(on)) for flag, on in (flags or {}).items()]


#: The pipeline chart's segments, in the order participants pass through them.
PIPELINE = (
    ("intake", _("Intake")),
    ("ready", _("Ready to match")),
    ("matched", _("Matched")),
    ("first_meeting", _("First meeting planned")),
    ("active", _("Active")),
    ("ended", _("Ended")),
    ("control", _("Control")),
)
_PIPELINE_OF_STAGE = {
    Stage.INTAKE_INCOMPLETE: "intake",
    Stage.READY: "ready",
    Stage.MATCHED: "matched",
    Stage.ACTIVE: "active",
    Stage.ENDED: "ended",
    Stage.CONTROL: "control",
}


def pipeline_rows(
    *, sides: Iterable[tuple[str, Iterable[Mapping[str, Any]]]], cities: Iterable[Any]
) -> list[tuple[str, list[int]]]:
    """Per city and side (groups, households) the count in each :data:`PIPELINE` segment;
    ``sides`` are (label, rows of ``pipeline_counts``)."""
    keys = [key for key, _label in PIPELINE]
    out = []
    side_rows = [(label, list(rows)) for label, rows in sides]
    for city in cities:
        for label, rows in side_rows:
            values = [0] * len(keys)
            for row in rows:
                if row["city_id"] != city.pk:
                    continue
                key = _PIPELINE_OF_STAGE[Stage(row["stage"])]
                if key == "matched" and row["introduced"]:
                    key = "first_meeting"
                values[keys.index(key)] += row["n"]
            out.append((f"{city.name}: {label}", values))
    return out


#: A 0-based preference rank in words: index 0 is the first choice.
ORDINAL_CHOICES = (
    _("1st choice"),
    _("2nd choice"),
    _("3rd choice"),
    _("4th choice"),
    _("5th choice"),
    _("6th choice"),
)


def choice_words(rank: int, ranking_length: int | None = None) -> str:
    """A 0-based preference rank in words: "1st choice" for rank 0; "not ranked" when the
    type is absent from a ranking of ``ranking_length`` types (when that is known)."""
    if ranking_length is not None and rank >= ranking_length:
        return gettext("not ranked")
    if rank < len(ORDINAL_CHOICES):
        return str(ORDINAL_CHOICES[rank])
    return gettext("choice %(number)d") % {"number": rank + 1}
