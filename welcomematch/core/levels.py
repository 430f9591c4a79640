"""Derived levels: a household's vulnerability and a group's capacity.

A pair may only be matched when ``vulnerability <= capacity`` (see the round contract). Both
rules are data an administrator can change per programme; these are the defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: The thirteen domains of the self-sufficiency matrix (Zelfredzaamheid-Matrix).
SSM_DOMAINS: tuple[str, ...] = (
    "finances",
    "work_education",
    "daytime_activities",
    "housing",
    "domestic_relations",
    "mental_health",
    "physical_health",
    "addiction",
    "basic_adl",
    "instrumental_adl",
    "social_network",
    "community_participation",
    "justice",
)
#: Scale of every domain: 1 acute problems ... 5 fully self-sufficient.
SSM_SCALE: tuple[int, ...] = (1, 2, 3, 4, 5)
SUPPORT_FLAGS: tuple[str, ...] = ("disability", "trauma", "specific_support")
WILLINGNESS_LEVELS: tuple[int, ...] = (0, 1, 2)
EXPERIENCE_LEVELS: tuple[int, ...] = (0, 1, 2)


def _int_keys(mapping: Mapping[Any, Any]) -> dict[int, int]:
    return {int(k): int(v) for k, v in mapping.items()}


@dataclass(frozen=True, slots=True)
class VulnerabilityRule:
    """Points from domain scores, support needs and composition; thresholds turn points into a level.

    ``points = Σ_domains score_points[score] + Σ_flags flag_points[flag] + type_points[type]``;
    the level is the number of ``thresholds`` that ``points`` reaches (0 up to len(thresholds)).
    A domain without a score counts as fully self-sufficient (5).
    """

    score_points: Mapping[int, int] = field(default_factory=lambda: {1: 4, 2: 2, 3: 1, 4: 0, 5: 0})
    flag_points: Mapping[str, int] = field(
        default_factory=lambda: {"disability": 3, "trauma": 3, "specific_support": 2}
    )
    type_points: Mapping[str, int] = field(default_factory=lambda: {"single_parent": 2})
    thresholds: tuple[int, ...] = (4, 9, 15)

    def points(
        self, scores: Mapping[str, int], flags: Mapping[str, bool], household_type: str
    ) -> int:
        total = 0
        for domain in SSM_DOMAINS:
            score = int(scores.get(domain, 5))
            if score not in SSM_SCALE:
                raise ValueError(f"{domain}: score must be 1 to 5, got {score}")
            total += self.score_points.get(score, 0)
        total += sum(points for flag, points in self.flag_points.items() if flags.get(flag))
        total += self.type_points.get(household_type, 0)
        return total

    def level(
        self, scores: Mapping[str, int], flags: Mapping[str, bool], household_type: str
    ) -> int:
        points = self.points(scores, flags, household_type)
        return sum(1 for threshold in self.thresholds if points >= threshold)

    @property
    def max_level(self) -> int:
        return len(self.thresholds)

    def to_dict(self) -> dict[str, object]:
        return {
            "score_points": {str(k): v for k, v in sorted(self.score_points.items())},
            "flag_points": dict(self.flag_points),
            "type_points": dict(self.type_points),
            "thresholds": list(self.thresholds),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VulnerabilityRule:
        thresholds = tuple(int(t) for t in data.get("thresholds", (4, 9, 15)))
        if list(thresholds) != sorted(thresholds):
            raise ValueError("thresholds: must be in increasing order")
        return cls(
            score_points=_int_keys(data.get("score_points", {1: 4, 2: 2, 3: 1, 4: 0, 5: 0})),
            flag_points={str(k): int(v) for k, v in data.get("flag_points", {}).items()},
            type_points={str(k): int(v) for k, v in data.get("type_points", {}).items()},
            thresholds=thresholds,
        )


@dataclass(frozen=True, slots=True)
class CapacityRule:
    """A group's capacity from its willingness (0 no, 1 light needs, 2 yes) and experience.

    ``capacity = table[willingness][experience]``; experience is 0 none, 1 some, 2 much or
    professional.
    """

    table: tuple[tuple[int, ...], ...] = ((0, 0, 0), (1, 1, 2), (1, 2, 3))

    def level(self, willingness: int, experience: int) -> int:
        if willingness not in WILLINGNESS_LEVELS:
            raise ValueError(f"willingness must be 0, 1 or 2, got {willingness}")
        if experience not in EXPERIENCE_LEVELS:
            raise ValueError(f"experience must be 0, 1 or 2, got {experience}")
        return self.table[willingness][experience]

    def to_dict(self) -> dict[str, object]:
        return {"table": [list(row) for row in self.table]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CapacityRule:
        table = tuple(tuple(int(v) for v in row) for row in data.get("table", ()))
        if len(table) != len(WILLINGNESS_LEVELS) or any(
            len(row) != len(EXPERIENCE_LEVELS) for row in table
        ):
            raise ValueError("table: must have 3 rows (willingness) of 3 levels (experience)")
        if any(v < 0 for row in table for v in row):
            raise ValueError("table: levels must be >= 0")
        return cls(table=table)


DEFAULT_VULNERABILITY_RULE = VulnerabilityRule()
DEFAULT_CAPACITY_RULE = CapacityRule()
