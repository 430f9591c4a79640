"""An independent checker: is a result file valid and optimal for its round file?

:func:`first_violation` re-derives everything the round-file contract
(``docs/round-format.md``) says about a result from the round alone — it shares no code with
the engine beyond the definition of distance (:mod:`welcomematch.core.geo`) and the
dataclasses — and returns the first rule the result breaks, or ``None``:

1. *parameters*: the result's parameters are the round's (the seed may differ: a round can
   be re-run with another seed);
2. *pairs*: every assigned pair (matches and controls) names participants of the round, is
   eligible (distance at most ``max_distance_km``, vulnerability at most capacity, neither
   excludes the other) and states its distance (to the metre) and both ranks correctly;
3. *capacities*: every household is assigned at most once, every group has at most one
   match and at most one control, a control only beside a match of its group, and no
   controls at all without a control arm (or with mechanism ``stable``);
4. *unmatched*: exactly the groups without a match and the households without a pair are
   listed, each with the first reason that applies and its number of eligible partners;
5. *order and summary*: lists sorted by id, summary counts and totals as the lists say;
6. *optimality* (mechanism ``optimal``), level by level: the number of pairs (with control
   arm: groups covered, then groups with two households) is the maximum, found by a maximum
   flow; the total preference cost is the least among assignments reaching those levels and
   the total distance the least among those, found by one min-cost flow over *every*
   eligible pair whose integer cost orders preference before distance (the distance unit is
   the finest power of ten of a km at which nothing can overflow; a total distance within
   one unit per pair of the optimum counts as optimal, as the engine documents);
   *stability* (mechanism ``stable``): no eligible pair in which the group is unmatched or
   strictly prefers the household to its match and the household is unmatched or strictly
   prefers the group.

Eligible pairs are found through distinct points and a k-d tree whose radius is padded, then
every candidate is tested with the exact haversine formula, so real rounds (a national round
of 20 000 groups and 60 000 households) are checked in seconds to a minute.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from ortools.graph.python import max_flow, min_cost_flow
from scipy.spatial import cKDTree

from welcomematch.core.errors import Infeasible
from welcomematch.core.geo import chord_for_km, haversine_km_array, unit_vectors
from welcomematch.core.model import Group, Household, Mechanism, Result, Round, UnmatchedReason

__all__ = ["VALID_AND_OPTIMAL", "VALID_AND_STABLE", "Violation", "first_violation", "verdict"]

VALID_AND_OPTIMAL = "valid and optimal"
VALID_AND_STABLE = "valid and stable"

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

#: Distances in result files are rounded to metres.
_DISTANCE_SLACK_KM = 0.0005 + 1e-9
#: Costs times (nodes + 2) stay below this in the min-cost flow (OR-Tools' own limit is 2^62).
_COST_LIMIT = 1 << 61


@dataclass(frozen=True)
class Violation:
    """The first rule a result breaks: ``rule`` (a short name) and a one-line ``message``."""

    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


class _Found(Exception):
    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.violation = Violation(rule, message)


def _fail(rule: str, message: str) -> _Found:
    return _Found(rule, message)


def _rank(ranking: Sequence[str], other_type: str) -> int:
    return ranking.index(other_type) if other_type in ranking else len(ranking)


@dataclass(frozen=True)
class _Eligible:
    """Every eligible pair (sorted by group, then household) and per-participant counts."""

    group: I64
    household: I64
    distance_km: F64
    group_in_range: I64
    group_capacity_ok: I64
    group_eligible: I64
    household_in_range: I64
    household_capacity_ok: I64
    household_eligible: I64


def _points(lat: F64, lon: F64) -> tuple[F64, F64, I64]:
    if lat.shape[0] == 0:
        return lat, lon, np.zeros(0, np.int64)
    both = np.stack([lat, lon], axis=1)
    unique, inverse = np.unique(both, axis=0, return_inverse=True)
    return unique[:, 0].copy(), unique[:, 1].copy(), inverse.reshape(-1).astype(np.int64)


def _eligible(round: Round) -> _Eligible:
    """Eligible pairs by the contract's definition, and the counts behind the reasons."""
    n_g, n_h = len(round.groups), len(round.households)
    max_km = round.parameters.max_distance_km
    glat = np.array([g.lat for g in round.groups], dtype=np.float64)
    glon = np.array([g.lon for g in round.groups], dtype=np.float64)
    hlat = np.array([h.lat for h in round.households], dtype=np.float64)
    hlon = np.array([h.lon for h in round.households], dtype=np.float64)
    gp_lat, gp_lon, g_point = _points(glat, glon)
    hp_lat, hp_lon, h_point = _points(hlat, hlon)
    # Point pairs within range: a padded chord radius, then the exact haversine distance.
    if gp_lat.shape[0] and hp_lat.shape[0]:
        radius = chord_for_km(max_km) * (1.0 + 1e-6) + 1e-9
        near = (
            cKDTree(unit_vectors(gp_lat, gp_lon))
            .sparse_distance_matrix(
                cKDTree(unit_vectors(hp_lat, hp_lon)), radius, output_type="ndarray"
            )
            .copy()
        )
        pi, pj = near["i"].astype(np.int64), near["j"].astype(np.int64)
    else:
        pi = pj = np.zeros(0, np.int64)
    dist = haversine_km_array(gp_lat[pi], gp_lon[pi], hp_lat[pj], hp_lon[pj])
    keep = dist <= max_km
    pi, pj, dist = pi[keep], pj[keep], dist[keep]
    # Households of each point, sorted by vulnerability (dense ranks of the levels).
    levels = np.unique(
        np.array(
            [h.vulnerability for h in round.households] + [g.capacity for g in round.groups],
            dtype=object,
        )
    ).tolist()
    level_rank = {v: k for k, v in enumerate(levels)}
    h_level = np.array([level_rank[h.vulnerability] for h in round.households], dtype=np.int64)
    g_level = np.array([level_rank[g.capacity] for g in round.groups], dtype=np.int64)
    n_levels = len(levels) + 1
    h_order = np.lexsort((np.arange(n_h), h_level, h_point))
    h_key = h_point[h_order] * n_levels + h_level[h_order]
    n_hp = hp_lat.shape[0]
    hp_start = np.searchsorted(h_point[h_order], np.arange(n_hp + 1))
    hp_size = np.diff(hp_start)
    # (group, household point) combinations: every group with every point in range of its.
    by_gp = np.argsort(pi, kind="stable")
    pi, pj, dist = pi[by_gp], pj[by_gp], dist[by_gp]
    n_gp = gp_lat.shape[0]
    gp_start = np.searchsorted(pi, np.arange(n_gp + 1))
    per_group = np.diff(gp_start)[g_point] if n_g else np.zeros(0, np.int64)
    combo_g = np.repeat(np.arange(n_g, dtype=np.int64), per_group)
    first = np.repeat(gp_start[g_point] if n_g else np.zeros(0, np.int64), per_group)
    within = np.arange(combo_g.shape[0], dtype=np.int64) - np.repeat(
        np.cumsum(per_group) - per_group, per_group
    )
    combo = first + within
    combo_hp, combo_d = pj[combo], dist[combo]
    # Households at the point with vulnerability at most the group's capacity: a prefix.
    upto = np.searchsorted(h_key, combo_hp * n_levels + g_level[combo_g], side="right")
    count = upto - hp_start[combo_hp]
    group_in_range = np.bincount(combo_g, weights=hp_size[combo_hp], minlength=n_g)
    total = int(count.sum())
    pair_g = np.repeat(combo_g, count)
    pair_d = np.repeat(combo_d, count)
    offset = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
    pair_h = h_order[np.repeat(hp_start[combo_hp], count) + offset]
    n_groups_at_gp = np.bincount(g_point, minlength=n_gp)
    hp_in_range = np.bincount(pj, weights=n_groups_at_gp[pi], minlength=n_hp)
    household_in_range = hp_in_range[h_point]
    group_capacity_ok = np.bincount(pair_g, minlength=n_g)
    household_capacity_ok = np.bincount(pair_h, minlength=n_h)
    # Exclusions, from either side.
    g_index = {g.id: i for i, g in enumerate(round.groups)}
    h_index = {h.id: j for j, h in enumerate(round.households)}
    excluded = {i * n_h + h_index[x] for i, g in enumerate(round.groups) for x in g.exclude} | {
        g_index[x] * n_h + j for j, h in enumerate(round.households) for x in h.exclude
    }
    key = pair_g * n_h + pair_h
    if excluded:
        ok = ~np.isin(key, np.fromiter(excluded, np.int64, len(excluded)))
        pair_g, pair_h, pair_d, key = pair_g[ok], pair_h[ok], pair_d[ok], key[ok]
    order = np.argsort(key, kind="stable")
    pair_g, pair_h, pair_d = pair_g[order], pair_h[order], pair_d[order]
    return _Eligible(
        pair_g,
        pair_h,
        pair_d,
        group_in_range.astype(np.int64),
        group_capacity_ok.astype(np.int64),
        np.bincount(pair_g, minlength=n_g).astype(np.int64),
        household_in_range.astype(np.int64),
        household_capacity_ok.astype(np.int64),
        np.bincount(pair_h, minlength=n_h).astype(np.int64),
    )


def _check_pairs(round: Round, result: Result) -> None:
    groups = {g.id: g for g in round.groups}
    households = {h.id: h for h in round.households}
    max_km = round.parameters.max_distance_km
    for kind, pairs in (("match", result.matches), ("control", result.controls)):
        for p in pairs:
            where = f"{kind} {p.group}–{p.household}"
            g, h = groups.get(p.group), households.get(p.household)
            if g is None:
                raise _fail("unknown participant", f"{where}: group {p.group} is not in the round")
            if h is None:
                raise _fail(
                    "unknown participant", f"{where}: household {p.household} is not in the round"
                )
            d = float(
                haversine_km_array(
                    np.array([g.lat]), np.array([g.lon]), np.array([h.lat]), np.array([h.lon])
                )[0]
            )
            if d > max_km:
                raise _fail("not eligible", f"{where}: {d:.3f} km apart, more than {max_km:g} km")
            if h.vulnerability > g.capacity:
                raise _fail(
                    "not eligible",
                    f"{where}: vulnerability {h.vulnerability} above capacity {g.capacity}",
                )
            if h.id in g.exclude or g.id in h.exclude:
                raise _fail("not eligible", f"{where}: the pair is excluded")
            if abs(p.distance_km - d) > _DISTANCE_SLACK_KM:
                raise _fail(
                    "wrong distance", f"{where}: distance_km {p.distance_km}, actually {d:.3f}"
                )
            for field, got, want in (
                ("group_rank", p.group_rank, _rank(g.ranking, h.type)),
                ("household_rank", p.household_rank, _rank(h.ranking, g.type)),
            ):
                if got != want:
                    raise _fail("wrong rank", f"{where}: {field} {got}, by the rankings {want}")


def _check_capacities(round: Round, result: Result) -> None:
    allows_controls = round.parameters.control_arm and (
        round.parameters.mechanism == Mechanism.OPTIMAL
    )
    if result.controls and not allows_controls:
        raise _fail("capacity", "controls are listed, but the round has no control arm")
    matched: set[str] = set()
    for p in result.matches:
        if p.group in matched:
            raise _fail("capacity", f"group {p.group} has two matches")
        matched.add(p.group)
    controlled: set[str] = set()
    for p in result.controls:
        if p.group in controlled:
            raise _fail("capacity", f"group {p.group} has two control households")
        if p.group not in matched:
            raise _fail("capacity", f"group {p.group} has a control household but no match")
        controlled.add(p.group)
    used: set[str] = set()
    for p in (*result.matches, *result.controls):
        if p.household in used:
            raise _fail("capacity", f"household {p.household} is assigned twice")
        used.add(p.household)


def _check_unmatched(
    round: Round, result: Result, eligible: _Eligible, index: dict[str, dict[str, int]]
) -> None:
    matched = {p.group for p in result.matches}
    used = {p.household for p in (*result.matches, *result.controls)}
    for side, ids, listed, taken, counts in (
        (
            "group",
            sorted(index["group"]),
            result.unmatched_groups,
            matched,
            (eligible.group_in_range, eligible.group_capacity_ok, eligible.group_eligible),
        ),
        (
            "household",
            sorted(index["household"]),
            result.unmatched_households,
            used,
            (
                eligible.household_in_range,
                eligible.household_capacity_ok,
                eligible.household_eligible,
            ),
        ),
    ):
        want = [x for x in ids if x not in taken]
        got = [u.id for u in listed]
        if got != want:
            missing = sorted(set(want) - set(got))
            extra = sorted(set(got) - set(want))
            if missing:
                raise _fail("unmatched", f"{side} {missing[0]} is unassigned but not listed")
            if extra:
                raise _fail("unmatched", f"{side} {extra[0]} is listed but assigned")
            raise _fail("order", f"unmatched {side}s are not sorted by id, once each")
        for u in listed:
            k = index[side][u.id]
            in_range, capacity_ok, n_eligible = (int(c[k]) for c in counts)
            reason = UnmatchedReason.first_that_applies(in_range, capacity_ok, n_eligible)
            if u.reason != reason:
                raise _fail(
                    "wrong reason",
                    f"{side} {u.id}: reason {u.reason.value}, the first that applies is "
                    f"{reason.value}",
                )
            if u.eligible_partners != n_eligible:
                raise _fail(
                    "wrong count",
                    f"{side} {u.id}: eligible_partners {u.eligible_partners}, actually "
                    f"{n_eligible}",
                )


def _check_order_and_summary(round: Round, result: Result, eligible: _Eligible) -> None:
    for name, pairs in (("matches", result.matches), ("controls", result.controls)):
        groups = [p.group for p in pairs]
        if groups != sorted(groups):
            raise _fail("order", f"{name} are not sorted by group id")
    s = result.summary
    assigned = (*result.matches, *result.controls)
    for field, got, want in (
        ("groups", s.groups, len(round.groups)),
        ("households", s.households, len(round.households)),
        ("eligible_pairs", s.eligible_pairs, int(eligible.group.shape[0])),
        ("matched", s.matched, len(result.matches)),
        ("controls", s.controls, len(result.controls)),
        (
            "preference_cost",
            s.preference_cost,
            sum(p.group_rank + p.household_rank for p in assigned),
        ),
    ):
        if got != want:
            raise _fail("summary", f"{field} is {got}, actually {want}")
    total = math.fsum(p.distance_km for p in assigned)
    if abs(s.total_distance_km - total) > _DISTANCE_SLACK_KM * (1 + len(assigned)):
        raise _fail(
            "summary",
            f"total_distance_km is {s.total_distance_km}, the pairs add up to {total:.3f}",
        )


def _flow_network(
    eligible: _Eligible, n_g: int, n_h: int, control_arm: bool, second_slots: int
) -> tuple[I64, I64, I64]:
    """Arcs (tails, heads, capacities) of the assignment network; pair arcs come last."""
    source, sink, extra = 0, 1, 2
    groups = 3 + np.arange(n_g, dtype=np.int64)
    households = 3 + n_g + np.arange(n_h, dtype=np.int64)
    tails = [np.full(n_g, source), households]
    heads = [groups, np.full(n_h, sink)]
    caps = [np.ones(n_g, np.int64), np.ones(n_h, np.int64)]
    if control_arm:
        tails += [np.array([source]), np.full(n_g, extra)]
        heads += [np.array([extra]), groups]
        caps += [np.array([second_slots]), np.ones(n_g, np.int64)]
    tails.append(3 + eligible.group)
    heads.append(3 + n_g + eligible.household)
    caps.append(np.ones(eligible.group.shape[0], np.int64))
    return np.concatenate(tails), np.concatenate(heads), np.concatenate(caps)


def _max_assignment(eligible: _Eligible, n_g: int, n_h: int, group_capacity: int) -> int:
    """The largest number of pairs with each group taking up to ``group_capacity``."""
    if eligible.group.shape[0] == 0:
        return 0
    flow = max_flow.SimpleMaxFlow()
    groups = 2 + np.arange(n_g, dtype=np.int64)
    households = 2 + n_g + np.arange(n_h, dtype=np.int64)
    tails = np.concatenate([np.zeros(n_g, np.int64), 2 + eligible.group, households])
    heads = np.concatenate([groups, 2 + n_g + eligible.household, np.ones(n_h, np.int64)])
    caps = np.concatenate(
        [
            np.full(n_g, group_capacity, np.int64),
            np.ones(eligible.group.shape[0], np.int64),
            np.ones(n_h, np.int64),
        ]
    )
    flow.add_arcs_with_capacity(tails, heads, caps)
    if flow.solve(0, 1) != flow.OPTIMAL:
        raise Infeasible("the maximum flow of the checker failed")
    return int(flow.optimal_flow())


def _least_cost(
    eligible: _Eligible,
    preference: I64,
    n_g: int,
    n_h: int,
    *,
    control_arm: bool,
    pairs: int,
    second_slots: int,
) -> tuple[int, float, float]:
    """Least total preference cost, then least total distance, over assignments of ``pairs``
    pairs (with control arm: ``second_slots`` of them second households). Returns the
    preference optimum, the exact total distance of an optimal flow and the slack allowed
    (one distance unit per pair)."""
    m = eligible.group.shape[0]
    if m == 0 or pairs == 0:
        return 0, 0.0, 0.0
    n_nodes = 3 + n_g + n_h
    d_max = float(eligible.distance_km.max())
    p_max = int(preference.max())
    for exponent in range(-9, 4):
        unit = 10.0**exponent
        du_max = math.floor(d_max / unit + 0.5)
        weight = pairs * du_max + 1
        if (p_max * weight + du_max) * (n_nodes + 2) < _COST_LIMIT:
            break
    else:
        raise Infeasible("round too large for the checker's exact integer costs")
    du = np.floor(eligible.distance_km / unit + 0.5).astype(np.int64)
    cost = preference * weight + du
    tails, heads, caps = _flow_network(eligible, n_g, n_h, control_arm, second_slots)
    costs = np.concatenate([np.zeros(tails.shape[0] - m, np.int64), cost])
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    supplies = np.zeros(n_nodes, np.int64)
    supplies[0], supplies[1] = pairs, -pairs
    flow.set_nodes_supplies(np.arange(n_nodes, dtype=np.int64), supplies)
    if flow.solve() != flow.OPTIMAL:
        raise Infeasible("the min-cost flow of the checker failed")
    used = np.asarray(flow.flows(arcs), dtype=np.int64)[tails.shape[0] - m :] > 0
    best_preference = int(preference[used].sum())
    best_distance = math.fsum(eligible.distance_km[used].tolist())
    return best_preference, best_distance, pairs * unit


def _ranks_of_pairs(
    own: Sequence[Group | Household],
    own_index: I64,
    other: Sequence[Group | Household],
    other_index: I64,
) -> I64:
    """``rank_own(other)`` of every pair, participant by participant: the position of the
    other's type in the own ranking, the ranking's length if absent."""
    types = sorted({p.type for p in other})
    code = {t: k for k, t in enumerate(types)}
    other_code = np.array([code[p.type] for p in other], dtype=np.int64)
    ranks = np.empty(own_index.shape[0], dtype=np.int64)
    order = np.argsort(own_index, kind="stable")
    bounds = np.searchsorted(own_index[order], np.arange(len(own) + 1))
    for i, p in enumerate(own):
        lo, hi = int(bounds[i]), int(bounds[i + 1])
        if lo == hi:
            continue
        lookup = np.full(len(types), len(p.ranking), dtype=np.int64)
        for position, t in enumerate(p.ranking):
            if t in code:
                lookup[code[t]] = position
        at = order[lo:hi]
        ranks[at] = lookup[other_code[other_index[at]]]
    return ranks


def _check_optimal(round: Round, result: Result, eligible: _Eligible) -> None:
    n_g, n_h = len(round.groups), len(round.households)
    control_arm = round.parameters.control_arm
    m1 = _max_assignment(eligible, n_g, n_h, 1)
    if control_arm:
        total = _max_assignment(eligible, n_g, n_h, 2)
        levels = [
            ("level 1 (as many groups as possible with a household)", len(result.matches), m1),
            ("level 2 (as many groups as possible with two)", len(result.controls), total - m1),
        ]
    else:
        total = m1
        levels = [("level 1 (as many pairs as possible)", len(result.matches), m1)]
    for name, got, best in levels:
        if got != best:
            raise _fail("not optimal", f"{name}: the result has {got}, the maximum is {best}")
    g_index = {g.id: i for i, g in enumerate(round.groups)}
    h_index = {h.id: j for j, h in enumerate(round.households)}
    preference = _ranks_of_pairs(round.groups, eligible.group, round.households, eligible.household)
    preference += _ranks_of_pairs(
        round.households, eligible.household, round.groups, eligible.group
    )
    best_preference, best_distance, slack = _least_cost(
        eligible,
        preference,
        n_g,
        n_h,
        control_arm=control_arm,
        pairs=total,
        second_slots=total - m1,
    )
    assigned = (*result.matches, *result.controls)
    level = 3 if control_arm else 2
    got_preference = sum(p.group_rank + p.household_rank for p in assigned)
    if got_preference != best_preference:
        raise _fail(
            "not optimal",
            f"level {level} (smallest total preference cost): the result has "
            f"{got_preference}, the optimum is {best_preference}",
        )
    got_distance = math.fsum(
        _exact_distances(round, [(g_index[p.group], h_index[p.household]) for p in assigned])
    )
    if got_distance > best_distance + slack + 1e-9:
        raise _fail(
            "not optimal",
            f"level {level + 1} (smallest total distance): the result has "
            f"{got_distance:.6f} km, the optimum is {best_distance:.6f} km",
        )


def _exact_distances(round: Round, pairs: list[tuple[int, int]]) -> list[float]:
    if not pairs:
        return []
    gi = np.array([i for i, _ in pairs])
    hj = np.array([j for _, j in pairs])
    glat = np.array([round.groups[i].lat for i in gi.tolist()], dtype=np.float64)
    glon = np.array([round.groups[i].lon for i in gi.tolist()], dtype=np.float64)
    hlat = np.array([round.households[j].lat for j in hj.tolist()], dtype=np.float64)
    hlon = np.array([round.households[j].lon for j in hj.tolist()], dtype=np.float64)
    return [float(d) for d in haversine_km_array(glat, glon, hlat, hlon)]


def _check_stable(round: Round, result: Result, eligible: _Eligible) -> None:
    g_index = {g.id: i for i, g in enumerate(round.groups)}
    h_index = {h.id: j for j, h in enumerate(round.households)}
    n_g, n_h = len(round.groups), len(round.households)
    # Ranks of each one's partner; unmatched ranks above every partner (never preferred).
    big = 1 << 40
    partner_rank_g = np.full(n_g, big, dtype=np.int64)
    partner_rank_h = np.full(n_h, big, dtype=np.int64)
    for p in result.matches:
        partner_rank_g[g_index[p.group]] = p.group_rank
        partner_rank_h[h_index[p.household]] = p.household_rank
    for i, j in zip(eligible.group.tolist(), eligible.household.tolist(), strict=True):
        g, h = round.groups[i], round.households[j]
        if _rank(g.ranking, h.type) < partner_rank_g[i] and (
            _rank(h.ranking, g.type) < partner_rank_h[j]
        ):
            raise _fail(
                "not stable",
                f"group {g.id} and household {h.id} would both rather be paired with each other",
            )


def first_violation(round: Round, result: Result) -> Violation | None:
    """The first rule of the contract that ``result`` breaks for ``round``; ``None`` if it is
    valid and optimal (mechanism ``optimal``) or valid and stable (mechanism ``stable``).

    ``round`` must be a valid round (:func:`welcomematch.core.validation.validate_round`).
    """
    try:
        if replace(result.parameters, seed=round.parameters.seed) != round.parameters:
            raise _fail("parameters", "the result's parameters (other than the seed) differ")
        _check_pairs(round, result)
        _check_capacities(round, result)
        eligible = _eligible(round)
        index = {
            "group": {g.id: i for i, g in enumerate(round.groups)},
            "household": {h.id: j for j, h in enumerate(round.households)},
        }
        _check_unmatched(round, result, eligible, index)
        _check_order_and_summary(round, result, eligible)
        if round.parameters.mechanism == Mechanism.STABLE:
            _check_stable(round, result, eligible)
        else:
            _check_optimal(round, result, eligible)
    except _Found as found:
        return found.violation
    return None


def verdict(round: Round, result: Result) -> str:
    """One line: ``valid and optimal`` / ``valid and stable``, or the first violation."""
    violation = first_violation(round, result)
    if violation is not None:
        return str(violation)
    if round.parameters.mechanism == Mechanism.STABLE:
        return VALID_AND_STABLE
    return VALID_AND_OPTIMAL
