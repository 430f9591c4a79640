"""Lottery audit: how likely is each participant to be matched, across many lottery seeds?

The programme promises every newcomer an *equal chance*: participants the rules cannot tell
apart must be matched equally often. :func:`audit_lottery` re-runs a round with seeds
``first_seed, first_seed + 1, …, first_seed + draws - 1`` (``first_seed`` defaults to the
round's own seed) and counts, per participant, the draws in which it is matched (treatment)
and, with a control arm, the draws in which a household is the control (for a group: the draws
in which it has a control household). ``p_matched = matched / draws``.

Each participant is classified by what decides its fate:

- ``eligibility``: no eligible partner at all (out of range, vulnerability, exclusions), so
  its chance is exactly 0 whatever the lottery draws;
- ``rules``: eligible partners exist, but the outcome was the same in every draw (chance 0 or
  1): the optimisation rules, not chance, decide;
- ``lottery``: the outcome varied between draws: the seeded lottery decides.

Summaries group the participants by type, by level (group capacity, household
vulnerability) and by area. Areas are derived from coordinates (round files carry no area):
participants whose points are within ``link_km`` of each other, directly or through a chain of
points, form one area (single-linkage clustering); areas are numbered by size, largest first,
and named after the nearest known city centre within 15 km of their centroid.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from welcomematch.core.eligibility import reach_counts
from welcomematch.core.errors import InvalidInput
from welcomematch.core.generate import CITY_CENTRES
from welcomematch.core.geo import chord_for_km, haversine_km, unit_vectors
from welcomematch.core.model import Mechanism, Result, Round

#: Default linkage distance for deriving areas from coordinates.
DEFAULT_LINK_KM = 3.0
_AREA_NAME_KM = 15.0


class DecidedBy(StrEnum):
    ELIGIBILITY = "eligibility"
    RULES = "rules"
    LOTTERY = "lottery"


@dataclass(frozen=True, slots=True)
class Area:
    name: str
    lat: float
    lon: float
    participants: int


@dataclass(frozen=True, slots=True)
class ParticipantChance:
    """One participant's outcomes over all draws; ``level`` is capacity or vulnerability."""

    id: str
    side: str
    type: str
    level: int
    area: str
    eligible_partners: int
    matched: int
    control: int
    p_matched: float
    p_control: float
    decided_by: DecidedBy


@dataclass(frozen=True, slots=True)
class Breakdown:
    """Chances of the participants of one side sharing one value of ``by``."""

    side: str
    by: str
    value: str
    participants: int
    mean_p_matched: float
    min_p_matched: float
    max_p_matched: float
    mean_p_control: float
    decided_by_eligibility: int
    decided_by_rules: int
    decided_by_lottery: int


@dataclass(frozen=True, slots=True)
class LotteryAudit:
    draws: int
    first_seed: int
    mechanism: Mechanism
    control_arm: bool
    areas: tuple[Area, ...]
    groups: tuple[ParticipantChance, ...]
    households: tuple[ParticipantChance, ...]
    breakdowns: tuple[Breakdown, ...]


def derive_areas(
    lat: Sequence[float], lon: Sequence[float], *, link_km: float = DEFAULT_LINK_KM
) -> tuple[list[int], list[Area]]:
    """Single-linkage clusters of points (see the module docstring).

    Returns the area index of every point and the areas, largest first (ties by centroid).
    """
    n = len(lat)
    if n == 0:
        return [], []
    points = np.column_stack((np.asarray(lat, np.float64), np.asarray(lon, np.float64)))
    unique, inverse = np.unique(points, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    tree = cKDTree(unit_vectors(unique[:, 0], unique[:, 1]))
    links = tree.query_pairs(chord_for_km(link_km), output_type="ndarray")
    m = unique.shape[0]
    graph = coo_matrix(
        (np.ones(links.shape[0], dtype=np.int8), (links[:, 0], links[:, 1])), shape=(m, m)
    )
    _, label = connected_components(graph, directed=False)
    point_label = label[inverse]
    counts = np.bincount(point_label)
    k = counts.shape[0]
    c_lat = np.bincount(point_label, weights=points[:, 0], minlength=k) / counts
    c_lon = np.bincount(point_label, weights=points[:, 1], minlength=k) / counts
    order = sorted(range(k), key=lambda c: (-counts[c], c_lat[c], c_lon[c]))
    rank = {c: r for r, c in enumerate(order)}
    areas = []
    for r, c in enumerate(order):
        near = min(
            (
                (haversine_km(c_lat[c], c_lon[c], clat, clon), name)
                for name, clat, clon in CITY_CENTRES
            ),
        )
        label_text = f"A{r + 1}" + (f" {near[1]}" if near[0] <= _AREA_NAME_KM else "")
        areas.append(
            Area(label_text, round(float(c_lat[c]), 4), round(float(c_lon[c]), 4), int(counts[c]))
        )
    return [rank[int(c)] for c in point_label.tolist()], areas


def _decided(p_matched: float, p_control: float, eligible: int) -> DecidedBy:
    if eligible == 0:
        return DecidedBy.ELIGIBILITY
    if p_matched in (0.0, 1.0) and p_control in (0.0, 1.0):
        return DecidedBy.RULES
    return DecidedBy.LOTTERY


def summarise(
    side: str,
    chances: Sequence[ParticipantChance],
    by: str,
    value_of: Callable[[ParticipantChance], str],
    order: Callable[[str], Any] | None = None,
) -> tuple[Breakdown, ...]:
    """The participants of one side grouped by ``value_of`` (a type, a level, an area or a city
    the caller knows), each group's chances summarised; groups in ``order`` (default: by value)."""
    buckets: dict[str, list[ParticipantChance]] = {}
    for c in chances:
        buckets.setdefault(value_of(c), []).append(c)
    rows = []
    for value in sorted(buckets, key=order or str):
        members = buckets[value]
        p = [c.p_matched for c in members]
        rows.append(
            Breakdown(
                side=side,
                by=by,
                value=value,
                participants=len(members),
                mean_p_matched=math.fsum(p) / len(p),
                min_p_matched=min(p),
                max_p_matched=max(p),
                mean_p_control=math.fsum(c.p_control for c in members) / len(members),
                decided_by_eligibility=sum(c.decided_by is DecidedBy.ELIGIBILITY for c in members),
                decided_by_rules=sum(c.decided_by is DecidedBy.RULES for c in members),
                decided_by_lottery=sum(c.decided_by is DecidedBy.LOTTERY for c in members),
            )
        )
    return tuple(rows)


def _breakdowns(side: str, chances: Sequence[ParticipantChance], key: str) -> Iterable[Breakdown]:
    if key == "type":
        return summarise(side, chances, key, lambda c: c.type, lambda v: (0, v))
    if key == "level":
        return summarise(side, chances, key, lambda c: str(c.level), lambda v: (int(v), v))
    # areas in their own order (largest first)
    return summarise(side, chances, key, lambda c: c.area, lambda v: int(v.split()[0][1:]))


def audit_lottery(
    round: Round,
    draws: int,
    *,
    first_seed: int | None = None,
    link_km: float = DEFAULT_LINK_KM,
    run: Callable[[Round], Result] | None = None,
) -> LotteryAudit:
    """Re-run ``round`` over ``draws`` seeds and report every participant's chances.

    ``run`` defaults to :func:`welcomematch.core.engine.run_round`.
    """
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
        raise InvalidInput(f"must be an integer >= 1, got {draws!r}", field="draws")
    if run is None:
        from welcomematch.core.engine import run_round

        run = run_round
    start = round.parameters.seed if first_seed is None else first_seed
    if start < 0:
        raise InvalidInput(f"must be an integer >= 0, got {start!r}", field="first_seed")
    g_index = {g.id: i for i, g in enumerate(round.groups)}
    h_index = {h.id: j for j, h in enumerate(round.households)}
    g_matched = np.zeros(len(g_index), np.int64)
    g_control = np.zeros(len(g_index), np.int64)
    h_matched = np.zeros(len(h_index), np.int64)
    h_control = np.zeros(len(h_index), np.int64)
    reach = reach_counts(round)  # eligibility does not depend on the seed
    for k in range(draws):
        parameters = replace(round.parameters, seed=start + k)
        result = run(replace(round, parameters=parameters))
        for m in result.matches:
            g_matched[g_index[m.group]] += 1
            h_matched[h_index[m.household]] += 1
        for c in result.controls:
            g_control[g_index[c.group]] += 1
            h_control[h_index[c.household]] += 1

    labels, areas = derive_areas(
        [g.lat for g in round.groups] + [h.lat for h in round.households],
        [g.lon for g in round.groups] + [h.lon for h in round.households],
        link_km=link_km,
    )

    def chance(
        pid: str,
        side: str,
        type_: str,
        level: int,
        area: int,
        matched: int,
        control: int,
        eligible: int,
    ) -> ParticipantChance:
        p_m, p_c = matched / draws, control / draws
        return ParticipantChance(
            id=pid,
            side=side,
            type=type_,
            level=level,
            area=areas[area].name,
            eligible_partners=eligible,
            matched=matched,
            control=control,
            p_matched=p_m,
            p_control=p_c,
            decided_by=_decided(p_m, p_c, eligible),
        )

    n_g = len(round.groups)
    groups = tuple(
        chance(
            g.id,
            "group",
            g.type,
            g.capacity,
            labels[i],
            int(g_matched[i]),
            int(g_control[i]),
            int(reach.group_eligible[i]),
        )
        for i, g in enumerate(round.groups)
    )
    households = tuple(
        chance(
            h.id,
            "household",
            h.type,
            h.vulnerability,
            labels[n_g + j],
            int(h_matched[j]),
            int(h_control[j]),
            int(reach.household_eligible[j]),
        )
        for j, h in enumerate(round.households)
    )
    breakdowns = tuple(
        b
        for side, chances in (("household", households), ("group", groups))
        for key in ("type", "level", "area")
        for b in _breakdowns(side, chances, key)
    )
    return LotteryAudit(
        draws=draws,
        first_seed=start,
        mechanism=round.parameters.mechanism,
        control_arm=round.parameters.control_arm,
        areas=tuple(areas),
        groups=tuple(sorted(groups, key=lambda c: c.id)),
        households=tuple(sorted(households, key=lambda c: c.id)),
        breakdowns=breakdowns,
    )
