"""Pruned networks solved exactly: certification by reduced costs, as resumable steps.

A network with more arcs than ``tuning.prune_above`` is first solved on a subset: each
participant's ``prune_k`` cheapest arcs plus the arcs of maximum assignments (so the flow
value is reachable). A flow of the right value is a minimum-cost flow of the *whole* network
exactly when node potentials exist under which every residual arc of the whole network has a
non-negative reduced cost (no negative cycle). The potentials of the solved subset
(:func:`welcomematch.core.flow.network.potentials`) are checked against every left-out arc:
most are certified by a bound (an arc's cost is at least ``level * W``), the rest one by one.
Violating arcs are added — a few are repaired into the solved flow
(:mod:`welcomematch.core.flow.repair`), many make the network be solved again — until none
violates. :func:`network_steps` is a generator that yields each flow it needs solved, so that
a scheduler can overlap one network's flows with another's certification.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt

from welcomematch.core.flow.cardinality import max_assignment
from welcomematch.core.flow.costs import cheapest_per_node, cost_scale, lowest_levels, pair_costs
from welcomematch.core.flow.network import FlowAnswer, FlowRequest, Network, all_arcs, potentials
from welcomematch.core.flow.repair import OptimalFlow
from welcomematch.core.flow.tuning import F64, I32, I64, Bools, Ints, Tuning

__all__ = ["Solved", "Steps", "network_steps"]


@dataclass(frozen=True)
class Solved:
    """One network's answer: chosen arc positions and how it was reached."""

    chosen: I64
    unit_km: float
    pruned: bool
    solves: int


def _must_check(level: Ints, lg: I32, group_pot: I64, top_household_pot: int, weight: int) -> Bools:
    """Arcs whose reduced cost may be negative, by a bound that needs no per-arc gathers.

    An arc's cost is at least ``level * weight`` and its reduced cost is
    ``cost + pot[g] - pot[h] >= level * weight + pot[g] - max(pot[h])``. So an arc can only
    violate when its preference level is below ``ceil((max(pot[h]) - pot[g]) / weight)``;
    every other arc is certified by this bound alone.
    """
    gap = top_household_pot - group_pot
    limit = np.where(gap > 0, (gap + weight - 1) // weight, 0)
    top = int(level.max()) + 1 if level.shape[0] else 0
    np.minimum(limit, top, out=limit)
    narrow: npt.NDArray[np.integer[npt.NBitBase]] = (
        limit.astype(level.dtype) if top <= np.iinfo(level.dtype).max else limit
    )
    return cast(Bools, np.less(level, narrow[lg]))


def network_steps(
    lg: I32,
    lh: I32,
    preference: Ints,
    distance_km: F64,
    n_g: int,
    n_h: int,
    *,
    control_arm: bool,
    tuning: Tuning,
) -> Generator[FlowRequest, FlowAnswer, Solved]:
    """Exact lexicographic optimum of one network (one or more whole components), as steps.

    A generator: it yields every min-cost flow problem it needs solved and receives the
    answer, so that a scheduler can keep a solver process busy with one network while this
    process certifies another. The answer does not depend on who solves the flows.

    ``lg, lh`` are local labels (``0..n_g-1``, ``0..n_h-1``) of the arcs, sorted by
    ``(lg, lh)``; everything below depends only on them, never on ids. Returns positions into
    these arrays.
    """
    m = lg.shape[0]
    slots = 2 if control_arm else 1
    net_nodes = 3 + n_g + n_h
    p_max = int(preference.max())
    unit, weight = cost_scale(
        p_max, float(distance_km.max()), max_pairs=min(slots * n_g, n_h), n_nodes=net_nodes
    )
    pruned = m > tuning.prune_above
    if pruned:
        # Costs are computed only where needed: per-arc int64 arrays of a large network are
        # the memory traffic that dominates.
        keep = np.zeros(m, dtype=bool)
        bound = (p_max + 1) * weight
        for node, n_nodes in ((lg, n_g), (lh, n_h)):
            low = lowest_levels(node, preference, tuning.prune_k, n_nodes)
            low_cost = pair_costs(preference[low], distance_km[low], unit, weight)
            cheapest = cheapest_per_node(
                node[low].astype(np.int64), low_cost, tuning.prune_k, bound, n_nodes
            )
            keep[low[cheapest]] = True
        first: I64 | None = np.flatnonzero(keep)
        degree_g = np.diff(np.searchsorted(lg, np.arange(n_g + 1, dtype=lg.dtype)))  # sorted
        with_arcs_h = int(np.count_nonzero(np.bincount(lh, minlength=n_h)))
        bound_m1 = min(int(np.count_nonzero(degree_g)), with_arcs_h)
        bound_t = min(int(np.minimum(degree_g, 2).sum()), with_arcs_h)
        cost: I64 | None = None
    else:
        keep = np.ones(m, dtype=bool)
        first, bound_m1, bound_t = None, 0, 0
        cost = pair_costs(preference, distance_km, unit, weight)
    m1, m1_arcs = max_assignment(lg, lh, n_g, n_h, 1, first, bound_m1)
    if control_arm:
        total, t_arcs = max_assignment(lg, lh, n_g, n_h, 2, first, bound_t)
        net = Network(n_g, n_h, total, total - m1)
        keep[m1_arcs] = True
        keep[t_arcs] = True
    else:
        net = Network(n_g, n_h, m1, -1)
        keep[m1_arcs] = True

    def costs_at(positions: I64) -> I64:
        if cost is not None:
            return cost[positions]
        return pair_costs(preference[positions], distance_km[positions], unit, weight)

    solves = 0
    while True:
        solves += 1
        active = np.flatnonzero(keep)
        certify = pruned and active.shape[0] < m
        request = FlowRequest(
            n_g, n_h, net.flow_value, net.second_slots, lg[active], lh[active], costs_at(active)
        )
        answer = yield request
        if not certify:
            return Solved(active[answer.used(request)], unit, pruned, solves)
        tails, heads, caps, costs = all_arcs(net, request.lg, request.lh, request.cost)
        flow = OptimalFlow(
            net.n_nodes,
            tails,
            heads,
            caps,
            costs,
            answer.flows,
            potentials(net.n_nodes, tails, heads, costs, caps, answer.flows),
        )
        n_fixed = tails.shape[0] - active.shape[0]
        while True:
            violating, to_add = _violating(
                preference,
                lg,
                lh,
                keep,
                flow.pot,
                n_g,
                n_h,
                weight,
                costs_at,
                active.shape[0],
                tuning,
            )
            if violating.shape[0] == 0:
                flow.check()
                return Solved(active[flow.flows[n_fixed:] > 0], unit, pruned, solves)
            if violating.shape[0] <= tuning.repair_below and flow.add(
                net.group_node(lg[violating].astype(np.int64)),
                net.household_node(lh[violating].astype(np.int64)),
                costs_at(violating),
            ):
                keep[violating] = True
                active = np.concatenate([active, violating])
                continue
            keep[to_add] = True
            break


def _violating(
    preference: Ints,
    lg: I32,
    lh: I32,
    keep: Bools,
    pot: I64,
    n_g: int,
    n_h: int,
    weight: int,
    costs_at: Callable[[I64], I64],
    solved_arcs: int,
    tuning: Tuning,
) -> tuple[I64, I64]:
    """Left-out arcs with a negative reduced cost under ``pot``, and the arcs to solve with.

    Returns the violating arcs (positions, ascending) and the arcs to add before solving
    again: with many violating arcs, each participant's most negative ones (partial pricing;
    the next certification finds any that are still needed); with few, all of them and the
    left-out arcs of smallest reduced cost (the most likely to violate after the next solve).
    """
    group_pot = pot[3 : 3 + n_g]
    household_pot = pot[3 + n_g :]
    check = _must_check(preference, lg, group_pot, int(household_pot.max()), weight)
    check &= ~keep
    left_out = np.flatnonzero(check)
    del check
    reduced = costs_at(left_out)
    reduced += group_pot[lg[left_out]]
    reduced -= household_pot[lh[left_out]]
    negative = reduced < 0
    violating = left_out[negative]
    n_violating = violating.shape[0]
    if n_violating > tuning.add_all_below:
        r_neg = reduced[negative]
        shift = int(-r_neg.min()) + 1
        key = r_neg + shift
        key_bound = int(key.max()) + 1
        add = cheapest_per_node(
            lg[violating].astype(np.int64), key, tuning.pricing_k, key_bound, n_g
        )
        add |= cheapest_per_node(
            lh[violating].astype(np.int64), key, tuning.pricing_k, key_bound, n_h
        )
        return violating, violating[add]
    near = int(tuning.near_fraction * solved_arcs)
    if n_violating and 0 < near < left_out.shape[0]:
        # Every checked arc below the ``near``-th smallest reduced cost (at most ``near``
        # arcs, decided by values only), and every violating arc.
        threshold = max(0, int(np.partition(reduced, near)[near]))
        return violating, left_out[reduced < threshold]
    return violating, violating


Steps = Generator[FlowRequest, FlowAnswer, Solved]
