"""Independent references for the matching engine: an exact ILP oracle and a result checker.

The oracle solves the contract's lexicographic objective by *sequential* HiGHS solves
(:func:`scipy.optimize.milp`): optimise one level, fix its optimal value as a constraint,
optimise the next. It shares no code with the engine beyond the definitions of distance
(:mod:`welcomematch.core.geo`) and the model dataclasses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

from welcomematch.core.geo import haversine_km_array
from welcomematch.core.model import Mechanism, Result, Round, UnmatchedReason


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return float(
        haversine_km_array(np.array([lat1]), np.array([lon1]), np.array([lat2]), np.array([lon2]))[
            0
        ]
    )


def rank(ranking: tuple[str, ...], other_type: str) -> int:
    return ranking.index(other_type) if other_type in ranking else len(ranking)


@dataclass(frozen=True)
class BrutePair:
    g: int
    h: int
    distance_km: float
    preference: int


def brute_pairs(round: Round) -> list[BrutePair]:
    """Every eligible pair, by looping over all pairs (small rounds only)."""
    out = []
    max_km = round.parameters.max_distance_km
    for i, g in enumerate(round.groups):
        for j, h in enumerate(round.households):
            d = distance_km(g.lat, g.lon, h.lat, h.lon)
            if (
                d <= max_km
                and h.vulnerability <= g.capacity
                and h.id not in g.exclude
                and g.id not in h.exclude
            ):
                out.append(BrutePair(i, j, d, rank(g.ranking, h.type) + rank(h.ranking, g.type)))
    return out


@dataclass(frozen=True)
class Levels:
    """Optimal values of the lexicographic levels."""

    pairs: int  # matched pairs (no control arm) or groups covered (control arm)
    doubles: int  # groups with two households (control arm), else 0
    preference_cost: int
    total_distance_km: float


def oracle_levels(round: Round) -> Levels:
    """Optimal lexicographic values by sequential exact ILP solves."""
    pairs = brute_pairs(round)
    n_g, n_h = len(round.groups), len(round.households)
    m = len(pairs)
    if m == 0:
        return Levels(0, 0, 0, 0.0)
    control_arm = round.parameters.control_arm
    # variables: x_e (m), then y_g (n_g) covered, z_g (n_g) doubled [control arm only]
    n_var = m + (2 * n_g if control_arm else 0)
    rows, cols, vals, lo, hi = [], [], [], [], []

    def add_row(entries: list[tuple[int, float]], low: float, high: float) -> None:
        r = len(lo)
        for c, v in entries:
            rows.append(r)
            cols.append(c)
            vals.append(v)
        lo.append(low)
        hi.append(high)

    for i in range(n_g):
        xs = [(e, 1.0) for e, p in enumerate(pairs) if p.g == i]
        if control_arm:
            add_row(xs, 0, 2)
            add_row([*[(c, -1.0) for c, _ in xs], (m + i, 1.0)], -np.inf, 0)  # y <= sum x
            add_row([*[(c, -1.0) for c, _ in xs], (m + n_g + i, 2.0)], -np.inf, 0)  # 2z <= sum x
        else:
            add_row(xs, 0, 1)
    for j in range(n_h):
        add_row([(e, 1.0) for e, p in enumerate(pairs) if p.h == j], 0, 1)

    def solve(objective: np.ndarray, fixed: list[tuple[np.ndarray, float]]) -> float:
        a = coo_array((vals, (rows, cols)), shape=(len(lo), n_var)).toarray()
        mats = [a, *[f[None, :] for f, _ in fixed]]
        lows = [np.array(lo), *[np.array([v - 1e-9 if v else 0.0]) for _, v in fixed]]
        highs = [np.array(hi), *[np.array([v + 1e-9]) for _, v in fixed]]
        res = milp(
            objective,
            constraints=LinearConstraint(
                np.vstack(mats), np.concatenate(lows), np.concatenate(highs)
            ),
            integrality=np.ones(n_var),
            bounds=Bounds(0, 1),
        )
        assert res.status == 0, res.message
        return float(res.fun)

    pref = np.zeros(n_var)
    dist = np.zeros(n_var)
    for e, p in enumerate(pairs):
        pref[e] = p.preference
        dist[e] = p.distance_km
    if control_arm:
        cover = np.zeros(n_var)
        cover[m : m + n_g] = 1
        double = np.zeros(n_var)
        double[m + n_g :] = 1
        v1 = round_int(-solve(-cover, []))
        v2 = round_int(-solve(-double, [(cover, v1)]))
        # covered and doubled are at their maxima iff sum x = v1 + v2 with v1 covered: fix both
        fixed = [(cover, float(v1)), (double, float(v2))]
    else:
        count = np.zeros(n_var)
        count[:m] = 1
        v1 = round_int(-solve(-count, []))
        v2 = 0
        fixed = [(count, float(v1))]
    v3 = round_int(solve(pref, fixed))
    fixed.append((pref, float(v3)))
    v4 = solve(dist, [(f, v) for f, v in fixed[:-1]] + [(pref, float(v3))])
    return Levels(v1, v2, v3, v4)


def round_int(x: float) -> int:
    r = round(x)
    assert abs(x - r) < 1e-6, x
    return int(r)


def result_levels(result: Result) -> Levels:
    """The same levels, read off an engine result (all assigned pairs)."""
    assigned = [*result.matches, *result.controls]
    return Levels(
        pairs=len(result.matches),
        doubles=len(result.controls),
        preference_cost=sum(p.group_rank + p.household_rank for p in assigned),
        total_distance_km=math.fsum(p.distance_km for p in assigned),
    )


def check_result(round: Round, result: Result) -> None:
    """Assert that ``result`` obeys every rule of the contract for ``round`` (any mechanism).

    Checks eligibility, capacities, ranks, distances, control-arm structure, the unmatched
    lists and their first-applicable reasons and counts, sorting, and the summary.
    """
    groups = {g.id: g for g in round.groups}
    households = {h.id: h for h in round.households}
    max_km = round.parameters.max_distance_km
    control_arm = round.parameters.control_arm
    if round.parameters.mechanism == Mechanism.STABLE:
        assert not result.controls
    assert result.parameters == round.parameters

    def eligible(g_id: str, h_id: str) -> bool:
        g, h = groups[g_id], households[h_id]
        return (
            distance_km(g.lat, g.lon, h.lat, h.lon) <= max_km
            and h.vulnerability <= g.capacity
            and h.id not in g.exclude
            and g.id not in h.exclude
        )

    for pair in (*result.matches, *result.controls):
        g, h = groups[pair.group], households[pair.household]
        assert eligible(g.id, h.id), pair
        assert pair.distance_km == distance_km(g.lat, g.lon, h.lat, h.lon)
        assert pair.group_rank == rank(g.ranking, h.type)
        assert pair.household_rank == rank(h.ranking, g.type)
    matched_groups = [p.group for p in result.matches]
    control_groups = [p.group for p in result.controls]
    assert len(set(matched_groups)) == len(matched_groups), "a group matched twice"
    assert len(set(control_groups)) == len(control_groups), "a group with two controls"
    assert set(control_groups) <= set(matched_groups), "a control without a treatment"
    if not control_arm:
        assert not result.controls
    used = [p.household for p in (*result.matches, *result.controls)]
    assert len(set(used)) == len(used), "a household assigned twice"
    assert matched_groups == sorted(matched_groups)
    assert control_groups == sorted(control_groups)

    def expected_unmatched(
        own: dict[str, object], taken: set[str], side: str
    ) -> list[tuple[str, UnmatchedReason, int]]:
        out = []
        for ident in sorted(own):
            if ident in taken:
                continue
            others = households if side == "g" else groups
            in_range = cap_ok = elig = 0
            for other in others:
                g_id, h_id = (ident, other) if side == "g" else (other, ident)
                g, h = groups[g_id], households[h_id]
                if distance_km(g.lat, g.lon, h.lat, h.lon) <= max_km:
                    in_range += 1
                    if h.vulnerability <= g.capacity:
                        cap_ok += 1
                        if h.id not in g.exclude and g.id not in h.exclude:
                            elig += 1
            reason = (
                UnmatchedReason.NO_PARTNER_IN_RANGE
                if in_range == 0
                else UnmatchedReason.VULNERABILITY
                if cap_ok == 0
                else UnmatchedReason.EXCLUDED
                if elig == 0
                else UnmatchedReason.PARTNERS_TAKEN
            )
            out.append((ident, reason, elig))
        return out

    got_g = [(u.id, u.reason, u.eligible_partners) for u in result.unmatched_groups]
    got_h = [(u.id, u.reason, u.eligible_partners) for u in result.unmatched_households]
    assert got_g == expected_unmatched(dict(groups), set(matched_groups), "g")
    assert got_h == expected_unmatched(dict(households), set(used), "h")
    s = result.summary
    assert (s.groups, s.households) == (len(groups), len(households))
    assert s.eligible_pairs == len(brute_pairs(round))
    assert (s.matched, s.controls) == (len(result.matches), len(result.controls))
    assigned = [*result.matches, *result.controls]
    assert s.preference_cost == sum(p.group_rank + p.household_rank for p in assigned)
    assert math.isclose(
        s.total_distance_km, math.fsum(p.distance_km for p in assigned), abs_tol=1e-9
    )
