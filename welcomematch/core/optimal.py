"""The ``optimal`` mechanism: an exact lexicographic optimum by min-cost flow.

Contract (``welcomematch.round/1``), without control arm: among matchings of eligible pairs
(each group and household at most once), maximise the number of pairs, then minimise the
total preference cost ``rank_g(h) + rank_h(g)``, then the total distance. With control arm
(each group up to two households): maximise the groups with at least one household, then the
groups with two, then minimise the total preference cost, then the total distance, over all
assigned pairs. Remaining ties go to the seeded lottery.

How the levels are made exact
-----------------------------
*Cardinality levels* are not weighted into the cost: the flow value is fixed to the true
maximum, computed first by Hopcroft–Karp (:func:`scipy.sparse.csgraph.maximum_bipartite_matching`)
on the full candidate graph. With control arm, let ``M1`` be the maximum matching size (group
capacity 1) and ``T`` the maximum assignment size (group capacity 2). The network has, per group,
a *first slot* ``source -> group`` (capacity 1) and a *second slot* ``source -> B -> group``
with ``B`` shared and capacity ``T - M1``. An augmenting path never leaves a covered group
uncovered, so some assignment covers ``M1`` groups with ``T`` pairs; every flow of value ``T``
uses at most ``M1`` first slots and at most ``T - M1`` second slots, hence exactly ``M1`` groups
are covered and ``T - M1`` groups have two households — precisely lexicographic levels 1 and 2,
and every such assignment is a flow of the network.

*Cost levels* are one integer cost per pair, ``pref * W + round(distance_km / unit)``, where
``W`` exceeds the largest possible total of distance units of any assignment, so no distance
saving can ever pay for one unit of preference cost. ``unit`` is the finest power of ten
(at most 1e-9 km) for which no integer overflows in the solver; distances are therefore
compared at a resolution of ``unit`` km per pair (1e-7 km = 0.1 mm for a national round), far
below geocoding precision, and differences below that are ties for the lottery.

*Pruning* (large rounds): the network keeps each participant's ``k`` cheapest candidate arcs
plus the arcs of maximum matchings (so the flow value is reachable), is solved, and the result
is then certified against *all* candidates: node potentials are computed on the pruned residual
network (Bellman–Ford), and every left-out arc must have a non-negative reduced cost. Arcs that
fail are added and the network is solved again, until none fails. A flow of the right value
whose residual network has non-negative reduced costs everywhere is a minimum-cost flow of the
full network (no negative cycle), so the answer is exact.

*Parts* (large rounds): :func:`solve_parts` takes a round split into parts that no eligible
pair crosses (:func:`welcomematch.core.eligibility.round_parts`, towns in practice); each part
is paired and solved on its own — in this process or in a worker process, whichever is free —
and its answer depends only on the part and its participants' labels. A part is handed over
with its participants in label order, so its pairs come out of eligibility already sorted
in label space.

*Repairs*: when a certification finds only a few violating arcs, they are added to the
solved flow and repaired by shortest-path searches (:mod:`welcomematch.core.repair`) instead
of solving the network again; the repaired flow is checked and certified the same way.

*Lottery*: groups and households are relabelled by a seeded uniform permutation before the
network is built, and everything (arc order, pruning ties, matchings) is decided in label
space; the solver is deterministic. Participants the rules cannot tell apart are swapped by a
relabelling that is exactly as likely, so they have equal chances across seeds. A separate
seeded fair coin picks treatment and control in every two-household group.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import (
    breadth_first_order,
    connected_components,
    maximum_bipartite_matching,
)

from welcomematch.core.eligibility import Candidates, ReachCounts, available_cpus, eligibility
from welcomematch.core.errors import Infeasible
from welcomematch.core.flowworker import FlowWorker, WorkerGone
from welcomematch.core.lottery import fair_coins, random_labels, rng_for
from welcomematch.core.model import Round
from welcomematch.core.repair import OptimalFlow

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
F64 = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.signedinteger[Any]]

SOLVER_NAME = "ortools-min-cost-flow"

#: Costs times (nodes + 1) must stay below this (OR-Tools scales costs by the node count).
_COST_LIMIT = 1 << 61
#: Finest and coarsest distance units tried, as powers of ten of a km.
_FINEST_UNIT_EXP = -9
_COARSEST_UNIT_EXP = 3
#: Networks with more candidate arcs than this are pruned and certified.
PRUNE_ABOVE = 200_000
#: Cheapest arcs kept per participant when pruning.
PRUNE_K = 6
#: Small components are solved together until a network has at least this many arcs.
NETWORK_ARCS = 50_000
_DEBUG = False
#: Below this many violating arcs, all of them are added back at once.
_ADD_ALL_BELOW = 50_000
#: Partial pricing (many violating arcs): each participant's this many most negative arcs.
_PRICING_K = 12
#: With the violating arcs, also add this fraction (of the arcs just solved) of the left-out
#: arcs with the smallest reduced costs: the arcs most likely to violate after the next
#: solve. Fewer re-solves; it changes only which arcs are solved, never the certificate.
_NEAR_FRACTION = 0.2
#: Up to this many violating arcs are added to the solved flow and repaired there
#: (:mod:`welcomematch.core.repair`) instead of solving the network again.
_REPAIR_BELOW = 40
#: Rounds with at least this many candidate arcs solve their flows in a worker process
#: (when the machine has a second processor), overlapping them with certification here.
SOLVER_PROCESS_ABOVE = 2_000_000
#: Networks open at once when a worker process solves the flows.
_IN_FLIGHT = 3


@dataclass(frozen=True)
class SolveStats:
    """How the solver reached its answer (the ``summary.solver`` text).

    ``unit_km`` is the coarsest distance resolution used by any network; ``rounds`` the
    number of solver calls over all networks (a pruned network takes more than one when
    certification had to add arcs back). ``components`` counts the connected components with
    eligible pairs, ``networks`` the networks they were solved in, ``pruned_networks`` those
    solved pruned and certified.
    """

    unit_km: float = 10.0**_FINEST_UNIT_EXP
    pruned: bool = False
    rounds: int = 0
    components: int = 0
    networks: int = 0
    pruned_networks: int = 0

    @property
    def solver(self) -> str:
        detail = (
            f"distance unit {self.unit_km:g} km, {self.components} component(s)"
            f" in {self.networks} network(s)"
        )
        if self.pruned:
            detail += f", {self.pruned_networks} pruned k={PRUNE_K} and certified by reduced costs"
        detail += f", {self.rounds} solve(s)"
        return f"{SOLVER_NAME} ({detail})"

    @staticmethod
    def total(parts: Iterable[SolveStats]) -> SolveStats:
        """The figures of several solves together (the parts of one round)."""
        every = list(parts)
        return SolveStats(
            max((p.unit_km for p in every if p.networks), default=10.0**_FINEST_UNIT_EXP),
            any(p.pruned for p in every),
            sum(p.rounds for p in every),
            sum(p.components for p in every),
            sum(p.networks for p in every),
            sum(p.pruned_networks for p in every),
        )


@dataclass(frozen=True, kw_only=True)
class OptimalAssignment(SolveStats):
    """The solver's answer: which candidates are assigned, and which of them are controls.

    ``pairs`` indexes the candidate arrays; ``control[i]`` says whether ``pairs[i]`` is the
    control household of its group; the rest says how the answer was reached.
    """

    pairs: I64
    control: Bools


#: Candidate arrays at least this long are gathered in two halves on two threads.
_THREADED_GATHER = 4_000_000


def _rank_dtype(max_rank: int) -> type[np.signedinteger[Any]]:
    """The narrowest integer type that holds every rank and every sum of two ranks."""
    for dtype in (np.int8, np.int16, np.int32):
        if 2 * max_rank <= np.iinfo(dtype).max:
            return dtype
    return np.int64


def pair_ranks(round: Round, candidates: Candidates) -> tuple[Ints, Ints]:
    """``rank_g(h)`` and ``rank_h(g)`` for every candidate pair (0-based, ``len`` if absent).

    In the narrowest integer type that also holds their sum (a rank is at most the length of
    a ranking, usually a handful): the arrays have one entry per candidate pair, so their
    width is memory traffic everywhere they are read.
    """
    g_types = sorted({g.type for g in round.groups})
    h_types = sorted({h.type for h in round.households})
    g_code = {t: i for i, t in enumerate(g_types)}
    h_code = {t: i for i, t in enumerate(h_types)}
    g_table = np.empty((len(round.groups), len(h_types)), dtype=np.int64)
    for i, g in enumerate(round.groups):
        g_table[i, :] = len(g.ranking)
        for pos, t in enumerate(g.ranking):
            code = h_code.get(t)
            if code is not None:
                g_table[i, code] = pos
    h_table = np.empty((len(round.households), len(g_types)), dtype=np.int64)
    for j, h in enumerate(round.households):
        h_table[j, :] = len(h.ranking)
        for pos, t in enumerate(h.ranking):
            code = g_code.get(t)
            if code is not None:
                h_table[j, code] = pos
    top = max(int(g_table.max(initial=0)), int(h_table.max(initial=0)))
    dtype = _rank_dtype(top)
    m = len(candidates)
    if m == 0:
        return np.zeros(0, dtype), np.zeros(0, dtype)
    g_flat = g_table.astype(dtype).ravel()
    h_flat = h_table.astype(dtype).ravel()
    h_type = np.fromiter(
        (h_code[h.type] for h in round.households), dtype=np.int64, count=len(round.households)
    )
    g_type = np.fromiter(
        (g_code[g.type] for g in round.groups), dtype=np.int64, count=len(round.groups)
    )
    group_rank = np.empty(m, dtype)
    household_rank = np.empty(m, dtype)

    def gather(lo: int, hi: int) -> None:
        gi = candidates.group[lo:hi].astype(np.int64)
        hj = candidates.household[lo:hi].astype(np.int64)
        index = gi * len(h_types)
        index += h_type[hj]
        np.take(g_flat, index, out=group_rank[lo:hi])
        index = hj
        index *= len(g_types)
        index += g_type[gi]
        np.take(h_flat, index, out=household_rank[lo:hi])

    if m >= _THREADED_GATHER:
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="ranks") as pool:
            list(pool.map(lambda b: gather(m * b // 4, m * (b + 1) // 4), range(4)))
    else:
        gather(0, m)
    return group_rank, household_rank


def integer_costs(
    preference: Ints, distance_km: F64, *, max_pairs: int, n_nodes: int
) -> tuple[I64, float]:
    """Per-pair integer costs ``pref * W + round(distance / unit)`` and the ``unit`` chosen.

    ``W = max_pairs * max(distance units) + 1`` exceeds any assignment's total distance units,
    so total cost orders assignments by total preference cost first, then total distance.
    """
    if preference.shape[0] == 0:
        return np.zeros(0, np.int64), 10.0**_FINEST_UNIT_EXP
    unit, weight = _cost_scale(
        int(preference.max()), float(distance_km.max()), max_pairs=max_pairs, n_nodes=n_nodes
    )
    return _costs(preference, distance_km, unit, weight), unit


def _cost_scale(p_max: int, d_max: float, *, max_pairs: int, n_nodes: int) -> tuple[float, int]:
    """The distance ``unit`` and preference weight ``W`` of the integer costs."""
    k = max(1, max_pairs)
    for exp in range(_FINEST_UNIT_EXP, _COARSEST_UNIT_EXP + 1):
        unit = 10.0**exp
        du_max = int(np.floor(d_max / unit + 0.5))
        weight = k * du_max + 1
        c_max = p_max * weight + du_max
        if c_max * (n_nodes + 2) < _COST_LIMIT and c_max * k < _COST_LIMIT:
            return unit, weight
    raise Infeasible("round too large for exact integer costs")


def _costs(preference: Ints, distance_km: F64, unit: float, weight: int) -> I64:
    """``preference * weight + round(distance_km / unit)`` as int64."""
    cost = preference.astype(np.int64)
    cost *= weight
    cost += np.floor(distance_km / unit + 0.5).astype(np.int64)
    return cost


def _max_assignment(
    lg: Ints, lh: Ints, n_g: int, n_h: int, copies: int, first: I64 | None, bound: int
) -> tuple[int, I64]:
    """Maximum assignment size (group capacity ``copies``) and the arc positions it uses.

    ``first`` (positions of a subset of the arcs, ascending) is tried first: a maximum
    assignment of the subset is maximum for the whole graph too if it reaches ``bound``, an
    upper bound of the whole graph's, or if no arc of the whole graph leaves the subset's
    König set (:func:`_no_augmenting_arc`); only otherwise is the whole graph searched.
    """
    if first is not None:
        sub_g, sub_h = lg[first], lh[first]
        value, arcs, col_of_row = _matching_value_and_edges(sub_g, sub_h, n_g, n_h, copies)
        if value >= bound or _no_augmenting_arc(sub_g, sub_h, col_of_row, lg, lh, n_g, n_h):
            return value, first[arcs]
    value, arcs, _ = _matching_value_and_edges(lg, lh, n_g, n_h, copies)
    return value, arcs


def _no_augmenting_arc(
    sub_g: Ints, sub_h: Ints, col_of_row: I64, lg: Ints, lh: Ints, n_g: int, n_h: int
) -> bool:
    """Whether a maximum assignment of the arcs ``(sub_g, sub_h)`` is maximum for all arcs.

    ``col_of_row`` is the assignment (row ``c * n_g + g`` is copy ``c`` of group ``g``).
    Groups and households reachable by alternating paths from a group with a free copy form
    König's set ``Z``; the assignment is maximum in the subset, so every household in ``Z``
    is assigned. If no arc of the whole graph joins a group in ``Z`` to a household outside
    it, alternating paths in the whole graph reach exactly ``Z`` too, so there is no
    augmenting path there either: the assignment is maximum for the whole graph.
    """
    rows = np.flatnonzero(col_of_row >= 0)
    matched_col = col_of_row[rows]
    copies = col_of_row.shape[0] // max(1, n_g)
    taken = np.bincount(rows % n_g, minlength=n_g)
    free = taken < copies
    root = n_g + n_h
    tails = np.concatenate(
        [sub_g.astype(np.int64), n_g + matched_col, np.full(int(free.sum()), root)]
    )
    heads = np.concatenate([n_g + sub_h.astype(np.int64), rows % n_g, np.flatnonzero(free)])
    graph = csr_matrix(
        (np.ones(tails.shape[0], dtype=np.int8), (tails, heads)), shape=(root + 1, root + 1)
    )
    reached = np.zeros(root + 1, dtype=bool)
    reached[breadth_first_order(graph, root, directed=True, return_predecessors=False)] = True
    in_z_group, in_z_household = reached[:n_g], reached[n_g:root]
    leaving = in_z_group[lg]
    leaving &= ~in_z_household[lh]
    return not bool(leaving.any())


def _bits(n: int) -> int:
    """Bits needed to store every value ``0..n-1`` (at least 1)."""
    return max(1, (max(1, n) - 1).bit_length())


def sort_order(key: I64, key_bound: int) -> I64:
    """``argsort`` of distinct non-negative int64 keys below ``key_bound``.

    The position is packed into the low bits of the key and the packed keys are sorted with
    :func:`numpy.sort` (vectorised, far faster than ``argsort``); too wide keys fall back to
    ``argsort``. Keys are distinct, so the order is the same either way.
    """
    n = key.shape[0]
    pos_bits = _bits(n)
    if key_bound <= 1 or _bits(key_bound) + pos_bits > 62:
        return np.argsort(key, kind="stable").astype(np.int64)
    packed = key << pos_bits
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    packed &= (1 << pos_bits) - 1
    return packed


def _matching_value_and_edges(
    lg: Ints, lh: Ints, n_g: int, n_h: int, copies: int
) -> tuple[int, I64, I64]:
    """Maximum assignment size with group capacity ``copies``, the arcs it uses, and the
    household of every row (``-1``: none).

    ``lg, lh`` are label-space candidate arcs sorted by (lg, lh). Returns the size and the
    positions (into the arc arrays) of one maximum assignment. Row ``c * n_g + g`` of the
    bipartite graph is copy ``c`` of group ``g``; the CSR structure is built directly from the
    sorted arcs.
    """
    m = lg.shape[0]
    if m == 0:
        return 0, np.zeros(0, np.int64), np.full(n_g * copies, -1, dtype=np.int64)
    indptr = np.zeros(n_g + 1, dtype=np.int64)
    np.cumsum(np.bincount(lg, minlength=n_g), out=indptr[1:])
    first = indptr
    indices = lh.astype(np.int32, copy=False)
    if copies > 1:
        indptr = np.concatenate([indptr[:-1] + c * m for c in range(copies)] + [[copies * m]])
        indices = np.tile(indices, copies)
    graph = csr_matrix(
        (np.ones(indices.shape[0], dtype=np.int8), indices, indptr), shape=(n_g * copies, n_h)
    )
    col_of_row = np.asarray(maximum_bipartite_matching(graph, perm_type="column"), dtype=np.int64)
    matched_rows = np.flatnonzero(col_of_row >= 0)
    if matched_rows.shape[0] == 0:
        return 0, np.zeros(0, np.int64), col_of_row
    # Locate the arc (row % n_g, col): a binary search in the group's run of arcs, which
    # are sorted by household (all searches at once).
    group = matched_rows % n_g
    want = col_of_row[matched_rows]
    lo, hi = first[group], first[group + 1]
    while True:
        open_ = lo < hi
        if not open_.any():
            break
        mid = (lo + hi) // 2
        right = open_ & (lh[np.minimum(mid, m - 1)] < want)
        left = open_ & ~right
        lo = np.where(right, mid + 1, lo)
        hi = np.where(left, mid, hi)
    return int(matched_rows.shape[0]), lo, col_of_row


def _cheapest_per_node(node: I64, cost: I64, k: int, cost_bound: int, n_nodes: int) -> Bools:
    """Mask of each node's ``k`` cheapest arcs; ties by arc position (label order).

    Any label-determined choice keeps the answer exact (certification adds whatever is
    missing); this one is fast: ``(node, cost, position)`` is packed into one int64 and sorted
    with :func:`numpy.sort`. When the three do not fit, the cost is scaled down monotonically
    to the bits left (nearly equal costs become ties, broken by position), and only if fewer
    than 8 bits are left does it fall back to a two-key ``argsort``.
    """
    m = node.shape[0]
    if m == 0:
        return np.zeros(0, dtype=bool)
    pos_bits = _bits(m)
    node_bits = _bits(n_nodes)
    cost_bits = min(_bits(cost_bound), 62 - pos_bits - node_bits)
    if cost_bits >= 8:
        if _bits(cost_bound) > cost_bits:
            scale = float((1 << cost_bits) - 1) / float(cost_bound)
            q = np.floor(cost.astype(np.float64) * scale).astype(np.int64)
            np.minimum(q, (1 << cost_bits) - 1, out=q)
        else:
            q = cost
        packed = (node << (cost_bits + pos_bits)) | (q << pos_bits) | np.arange(m, dtype=np.int64)
        packed.sort()
        sorted_node = packed >> (cost_bits + pos_bits)
        order = packed & ((1 << pos_bits) - 1)
        del packed
    else:
        order = np.lexsort((cost, node))
        sorted_node = node[order]
    starts = np.flatnonzero(np.r_[True, sorted_node[1:] != sorted_node[:-1]])
    run_start = np.repeat(starts, np.diff(np.r_[starts, m]))
    within = np.arange(m) - run_start
    keep = np.zeros(m, dtype=bool)
    keep[order[within < k]] = True
    return keep


def _lowest_levels(node: Ints, level: Ints, k: int, n_nodes: int) -> I64:
    """Positions of the arcs whose ``level`` is at most each node's ``k``-th smallest level.

    Arc costs order by preference level first, so a node's ``k`` cheapest arcs all lie in
    these positions; selecting among them (a small fraction of a dense network's arcs)
    instead of among all arcs saves most of the sort.
    """
    n_levels = int(level.max()) + 1 if level.shape[0] else 1
    if n_nodes * n_levels > (1 << 24):
        return np.arange(node.shape[0], dtype=np.int64)
    key = node.astype(np.int32)  # fits: checked above
    key *= n_levels
    key += level
    counts = np.bincount(key, minlength=n_nodes * n_levels).reshape(n_nodes, n_levels)
    del key
    # Levels whose running count is still below k, i.e. the index of the k-th level.
    threshold = (np.cumsum(counts, axis=1) < k).sum(axis=1)
    np.minimum(threshold, n_levels - 1, out=threshold)  # every level fits the level type
    return np.flatnonzero(level <= threshold.astype(level.dtype)[node]).astype(np.int64)


@dataclass
class _Network:
    """A label-space flow network: node ids, arcs, and which arcs are candidate pairs."""

    n_g: int
    n_h: int
    flow_value: int
    second_slots: int  # T - M1 with control arm, -1 without
    source: int = 0
    sink: int = 1
    extra: int = 2  # node B of the control arm

    def group_node(self, lg: I64) -> I64:
        return lg + 3

    def household_node(self, lh: I64) -> I64:
        return lh + 3 + self.n_g

    @property
    def n_nodes(self) -> int:
        return 3 + self.n_g + self.n_h

    def fixed_arcs(self) -> tuple[I64, I64, I64, I64]:
        """Source, slot and sink arcs: (tails, heads, capacities, costs)."""
        groups = self.group_node(np.arange(self.n_g, dtype=np.int64))
        households = self.household_node(np.arange(self.n_h, dtype=np.int64))
        tails = [np.full(self.n_g, self.source), households]
        heads = [groups, np.full(self.n_h, self.sink)]
        caps = [np.ones(self.n_g, np.int64), np.ones(self.n_h, np.int64)]
        if self.second_slots >= 0:
            tails += [np.array([self.source]), np.full(self.n_g, self.extra)]
            heads += [np.array([self.extra]), groups]
            caps += [np.array([self.second_slots]), np.ones(self.n_g, np.int64)]
        t, h, c = np.concatenate(tails), np.concatenate(heads), np.concatenate(caps)
        return t, h, c, np.zeros(t.shape[0], np.int64)


@dataclass(frozen=True)
class _FlowRequest:
    """One min-cost flow problem of a network: what a solver needs, and no more.

    Plain arrays and integers, so that it pickles cheaply to a worker process.
    """

    n_g: int
    n_h: int
    flow_value: int
    second_slots: int
    lg: I32
    lh: I32
    cost: I64

    def network(self) -> _Network:
        return _Network(self.n_g, self.n_h, self.flow_value, self.second_slots)


@dataclass(frozen=True)
class _FlowAnswer:
    """The flow on every arc of the request's network (fixed arcs first, then pair arcs)."""

    flows: I64

    def used(self, request: _FlowRequest) -> Bools:
        """Which of the request's pair arcs carry flow."""
        return self.flows[self.flows.shape[0] - request.lg.shape[0] :] > 0


def _answer(request: _FlowRequest) -> _FlowAnswer:
    """Solve one flow request (here or in a worker process: the same answer)."""
    return _FlowAnswer(_solve_flow(request.network(), request.lg, request.lh, request.cost))


def _arcs(net: _Network, lg: Ints, lh: Ints, cost: I64) -> tuple[I64, I64, I64, I64]:
    """Every arc of the network: (tails, heads, capacities, costs), fixed arcs first."""
    ft, fh, fc, fk = net.fixed_arcs()
    tails = np.concatenate([ft, net.group_node(lg.astype(np.int64))])
    heads = np.concatenate([fh, net.household_node(lh.astype(np.int64))])
    caps = np.concatenate([fc, np.ones(lg.shape[0], np.int64)])
    costs = np.concatenate([fk, cost])
    return tails, heads, caps, costs


def _solve_flow(net: _Network, lg: Ints, lh: Ints, cost: I64) -> I64:
    """Min-cost flow of value ``net.flow_value`` on the given pair arcs: flow on every arc."""
    tails, heads, caps, costs = _arcs(net, lg, lh, cost)
    smcf = min_cost_flow.SimpleMinCostFlow()
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    supplies = np.zeros(net.n_nodes, np.int64)
    supplies[net.source] = net.flow_value
    supplies[net.sink] = -net.flow_value
    smcf.set_nodes_supplies(np.arange(net.n_nodes, dtype=np.int64), supplies)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        raise Infeasible(f"min-cost flow solver returned status {status}")
    return np.asarray(smcf.flows(arcs), dtype=np.int64)


def _potentials(n_nodes: int, tails: I64, heads: I64, costs: I64, caps: I64, flows: I64) -> I64:
    """Shortest-path distances from a virtual root on the residual network (Bellman–Ford).

    Residual arcs: ``tail -> head`` at ``cost`` where ``flow < cap``, ``head -> tail`` at
    ``-cost`` where ``flow > 0``. The network is optimal, so there is no negative cycle and the
    distances are valid potentials: every residual arc has a non-negative reduced cost.
    """
    fwd = flows < caps
    bwd = flows > 0
    r_tail = np.concatenate([tails[fwd], heads[bwd]])
    r_head = np.concatenate([heads[fwd], tails[bwd]])
    r_cost = np.concatenate([costs[fwd], -costs[bwd]])
    order = np.argsort(r_head, kind="stable")
    r_tail, r_head, r_cost = r_tail[order], r_head[order], r_cost[order]
    if r_head.shape[0] == 0:
        return np.zeros(n_nodes, np.int64)
    starts = np.flatnonzero(np.r_[True, r_head[1:] != r_head[:-1]])
    targets = r_head[starts]
    dist = np.zeros(n_nodes, np.int64)
    for _ in range(n_nodes + 1):
        best = np.minimum.reduceat(dist[r_tail] + r_cost, starts)
        improved = best < dist[targets]
        if not improved.any():
            return dist
        dist[targets[improved]] = best[improved]
    raise Infeasible("negative cycle in an optimal residual network (solver inconsistency)")


@dataclass(frozen=True)
class _Solved:
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


def _network_steps(
    lg: I32,
    lh: I32,
    preference: Ints,
    distance_km: F64,
    n_g: int,
    n_h: int,
    *,
    control_arm: bool,
    prune_above: int,
) -> Generator[_FlowRequest, _FlowAnswer, _Solved]:
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
    unit, weight = _cost_scale(
        p_max, float(distance_km.max()), max_pairs=min(slots * n_g, n_h), n_nodes=net_nodes
    )
    pruned = m > prune_above
    if pruned:
        # Costs are computed only where needed: per-arc int64 arrays of a large network are
        # the memory traffic that dominates.
        keep = np.zeros(m, dtype=bool)
        bound = (p_max + 1) * weight
        for node, n_nodes in ((lg, n_g), (lh, n_h)):
            low = _lowest_levels(node, preference, PRUNE_K, n_nodes)
            low_cost = _costs(preference[low], distance_km[low], unit, weight)
            cheapest = _cheapest_per_node(
                node[low].astype(np.int64), low_cost, PRUNE_K, bound, n_nodes
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
        cost = _costs(preference, distance_km, unit, weight)
    m1, m1_arcs = _max_assignment(lg, lh, n_g, n_h, 1, first, bound_m1)
    if control_arm:
        total, t_arcs = _max_assignment(lg, lh, n_g, n_h, 2, first, bound_t)
        net = _Network(n_g, n_h, total, total - m1)
        keep[m1_arcs] = True
        keep[t_arcs] = True
    else:
        net = _Network(n_g, n_h, m1, -1)
        keep[m1_arcs] = True

    def costs_at(positions: I64) -> I64:
        if cost is not None:
            return cost[positions]
        return _costs(preference[positions], distance_km[positions], unit, weight)

    solves = 0
    while True:
        solves += 1
        active = np.flatnonzero(keep)
        certify = pruned and active.shape[0] < m
        request = _FlowRequest(
            n_g, n_h, net.flow_value, net.second_slots, lg[active], lh[active], costs_at(active)
        )
        answer = yield request
        if not certify:
            return _Solved(active[answer.used(request)], unit, pruned, solves)
        tails, heads, caps, costs = _arcs(net, request.lg, request.lh, request.cost)
        flow = OptimalFlow(
            net.n_nodes,
            tails,
            heads,
            caps,
            costs,
            answer.flows,
            _potentials(net.n_nodes, tails, heads, costs, caps, answer.flows),
        )
        n_fixed = tails.shape[0] - active.shape[0]
        while True:
            violating, to_add = _violating(
                preference, lg, lh, keep, flow.pot, n_g, n_h, weight, costs_at, active.shape[0]
            )
            if violating.shape[0] == 0:
                flow.check()
                return _Solved(active[flow.flows[n_fixed:] > 0], unit, pruned, solves)
            if violating.shape[0] <= _REPAIR_BELOW and flow.add(
                net.group_node(lg[violating].astype(np.int64)),
                net.household_node(lh[violating].astype(np.int64)),
                costs_at(violating),
            ):
                if _DEBUG:
                    print(f"solve {solves}: repaired {violating.shape[0]} violating arcs")
                keep[violating] = True
                active = np.concatenate([active, violating])
                continue
            if _DEBUG:
                print(f"solve {solves}: {active.shape[0]} arcs, {violating.shape[0]} violating")
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
    if n_violating > _ADD_ALL_BELOW:
        r_neg = reduced[negative]
        shift = int(-r_neg.min()) + 1
        key = r_neg + shift
        key_bound = int(key.max()) + 1
        add = _cheapest_per_node(lg[violating].astype(np.int64), key, _PRICING_K, key_bound, n_g)
        add |= _cheapest_per_node(lh[violating].astype(np.int64), key, _PRICING_K, key_bound, n_h)
        return violating, violating[add]
    near = int(_NEAR_FRACTION * solved_arcs)
    if n_violating and 0 < near < left_out.shape[0]:
        # Every checked arc below the ``near``-th smallest reduced cost (at most ``near``
        # arcs, decided by values only), and every violating arc.
        threshold = max(0, int(np.partition(reduced, near)[near]))
        return violating, left_out[reduced < threshold]
    return violating, violating


def _warm_up(_: object) -> bool:
    """Runs first in a new solver process, so that its imports overlap the caller's work."""
    return True


def start_worker() -> FlowWorker | None:
    """A worker process for :func:`solve_parts`, already importing the solver.

    The warm-up runs on a helper thread, so the caller goes on at once (splitting the round,
    say) while the worker starts; its first part waits for the warm-up. ``None`` if no
    worker can be started (the parts are then all solved here).
    """
    try:
        worker = FlowWorker()
    except WorkerGone:
        return None

    def warm_up() -> None:
        with contextlib.suppress(WorkerGone):  # the parts then find it gone: solved here
            worker.call(_warm_up, None)

    threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
    return worker


class _FlowSolver:
    """Solves flow requests in one worker process and, when it is idle, here too.

    OR-Tools holds the interpreter lock while it solves, so threads cannot overlap its solves
    with this process's array work; a second process can
    (:class:`welcomematch.core.flowworker.FlowWorker`). A helper thread feeds it queued
    requests in order and waits for the answers without the lock; when this process has
    nothing else to do it takes the newest queued request itself (:meth:`help`). The worker is
    warmed up at once, so its start overlaps the caller's own work. If it cannot start or
    dies, requests are solved here: the answer never depends on where it was solved.
    """

    def __init__(self, use_process: bool) -> None:
        self._worker: FlowWorker | None = None
        self._queue: deque[tuple[Future[_FlowAnswer], _FlowRequest | None]] = deque()
        self._changed = threading.Condition()
        self._closed = False
        self._feeder: threading.Thread | None = None
        if use_process:
            try:
                self._worker = FlowWorker()
            except WorkerGone:
                return
            self._queue.append((Future(), None))  # warm-up: the worker imports the solver
            self._feeder = threading.Thread(target=self._feed, name="flow-solver", daemon=True)
            self._feeder.start()

    @property
    def in_process(self) -> bool:
        """Whether a worker process solves requests too (several networks in flight)."""
        return self._feeder is not None

    def submit(self, request: _FlowRequest) -> Future[_FlowAnswer]:
        future: Future[_FlowAnswer] = Future()
        if self._feeder is None:
            future.set_result(_answer(request))
            return future
        with self._changed:
            self._queue.append((future, request))
            self._changed.notify()
        return future

    def help(self) -> bool:
        """Solve the newest queued request here; ``False`` if none is queued."""
        with self._changed:
            if not self._queue or self._queue[-1][1] is None:
                return False
            future, request = self._queue.pop()
        assert request is not None
        future.set_result(_answer(request))
        return True

    def result(self, future: Future[_FlowAnswer], request: _FlowRequest) -> _FlowAnswer:
        """The answer of ``future``; solved here if the worker process died meanwhile."""
        try:
            return future.result()
        except WorkerGone:
            return _answer(request)

    def _feed(self) -> None:
        worker = self._worker
        assert worker is not None
        while True:
            with self._changed:
                while not self._queue and not self._closed:
                    self._changed.wait()
                if self._closed:
                    return
                future, request = self._queue.popleft()
            try:
                if request is None:
                    worker.call(_warm_up, None)
                else:
                    future.set_result(cast(_FlowAnswer, worker.call(_answer, request)))
            except BaseException as error:  # handed to whoever waits for this answer
                future.set_exception(error)

    def close(self) -> None:
        with self._changed:
            self._closed = True
            for future, _ in self._queue:
                future.cancel()
            self._queue.clear()
            self._changed.notify_all()
        if self._feeder is not None:
            self._feeder.join()
            self._feeder = None
        if self._worker is not None:
            self._worker.close()
            self._worker = None


_Steps = Generator[_FlowRequest, _FlowAnswer, _Solved]


_Job = Callable[[], _Steps]


def _run_networks(jobs: list[_Job], solver: _FlowSolver) -> list[_Solved]:
    """Drive every network's steps to its answer, starting the jobs in the given order.

    With a worker process, up to ``_IN_FLIGHT`` networks are open at once: while the worker
    solves one network's flow, this process builds or certifies another. Without one, the
    networks run one after the other. Each network's answer depends only on its own steps,
    so the schedule never changes the result. Returns the answers in job order.
    """
    limit = _IN_FLIGHT if solver.in_process else 1
    results: list[_Solved | None] = [None] * len(jobs)
    waiting: dict[Future[_FlowAnswer], tuple[int, _Steps, _FlowRequest]] = {}
    ready: deque[tuple[int, _Steps, _FlowAnswer | None]] = deque()
    queue = deque(range(len(jobs)))
    while queue or waiting or ready:
        if ready:
            index, steps, answer = ready.popleft()
            try:
                request = next(steps) if answer is None else steps.send(answer)
            except StopIteration as stop:
                results[index] = cast(_Solved, stop.value)
                continue
            future = solver.submit(request)
            if future.done():
                ready.appendleft((index, steps, solver.result(future, request)))
            else:
                waiting[future] = (index, steps, request)
            continue
        if queue and len(waiting) < limit:
            index = queue.popleft()
            ready.append((index, jobs[index](), None))
            continue
        if solver.help():
            continue
        done, _ = wait(list(waiting), return_when=FIRST_COMPLETED)
        for future in done:
            index, steps, request = waiting.pop(future)
            ready.append((index, steps, solver.result(future, request)))
    return [cast(_Solved, r) for r in results]


def _weak_components(gi: I32, hj: I32, n_g: int, n_h: int) -> tuple[int, I64]:
    """Connected components of the bipartite graph of arcs ``(gi, hj)`` sorted by ``gi``."""
    indptr = np.zeros(n_g + n_h + 1, dtype=np.int64)
    np.cumsum(np.bincount(gi, minlength=n_g), out=indptr[1 : n_g + 1])
    indptr[n_g + 1 :] = gi.shape[0]
    graph = csr_matrix(
        (np.ones(gi.shape[0], dtype=np.int8), (hj + n_g).astype(np.int32), indptr),
        shape=(n_g + n_h, n_g + n_h),
    )
    count, label = connected_components(graph, directed=True, connection="weak")
    return int(count), np.asarray(label, dtype=np.int64)


#: Components are first found on every this-many-th arc (plus each group's first arc).
_COMPONENT_SAMPLE = 16


def components(candidates: Candidates, n_g: int, n_h: int) -> tuple[int, I64, I64]:
    """Connected components of the eligible-pair graph.

    Returns the number of components and the component of every group and every household
    (participants without eligible pairs are components of their own). The components are
    first computed on a sample of the arcs; every arc that joins two different parts is then
    added and the parts recomputed, until no arc does. Each part is connected (by sampled
    arcs) and no arc leaves it, so the parts are exactly the components.
    """
    gi, hj = candidates.group, candidates.household
    m = gi.shape[0]
    sample = np.zeros(m, dtype=bool)
    sample[::_COMPONENT_SAMPLE] = True
    if m:
        sample[np.flatnonzero(np.r_[True, gi[1:] != gi[:-1]])] = True
    while True:
        count, label = _weak_components(gi[sample], hj[sample], n_g, n_h)
        label_g, label_h = label[:n_g], label[n_g:]
        small = label.astype(np.int32)  # int32 gathers: half the memory traffic
        crossing = small[:n_g][gi]
        crossing = crossing != small[n_g:][hj]
        if not crossing.any():
            return count, label_g, label_h
        sample |= crossing


def _by_network(network: I64, net_arcs: I64, arc_end: I64) -> I64:
    """Positions of the arcs grouped by network, in their own order inside each network.

    The largest network (most of a part's arcs, as a rule) is picked out with one mask; the
    few arcs of the others are sorted by network.
    """
    big = int(np.argmax(net_arcs))
    in_big = network == big
    rest = np.flatnonzero(~in_big)
    rest = rest[np.argsort(network[rest], kind="stable")]
    order = np.empty(network.shape[0], dtype=np.int64)
    start = int(arc_end[big - 1]) if big else 0
    order[start : start + int(net_arcs[big])] = np.flatnonzero(in_big)
    order[:start] = rest[:start]
    order[start + int(net_arcs[big]) :] = rest[start:]
    return order


def _identity(labels: I64) -> bool:
    """Whether ``labels`` is ``0, 1, ..., n-1``."""
    return bool(np.array_equal(labels, np.arange(labels.shape[0])))


@dataclass(frozen=True)
class _Plan:
    """A part's networks: jobs (largest first), their arc ranges in ``order``, and counts."""

    order: I64 | None  # None: the candidates' own order
    bounds: list[tuple[int, int]]
    jobs: list[_Job]
    components: int


def _plan(
    candidates: Candidates,
    preference: Ints,
    label_g: I64,
    label_h: I64,
    *,
    control_arm: bool,
    prune_above: int,
    network_arcs: int,
) -> _Plan:
    """Split the pairs into networks of whole components, in label space (no solving yet).

    ``label_g, label_h`` are the lottery labels (ranks ``0..n-1``) of the groups and
    households that ``candidates`` index.
    """
    n_g, n_h = label_g.shape[0], label_h.shape[0]
    m = len(candidates)
    if m == 0:
        return _Plan(np.zeros(0, np.int64), [], [], 0)
    # Components, ordered by their smallest group label (a label-determined order).
    n_comp, comp_g, comp_h = components(candidates, n_g, n_h)
    first_label = np.full(n_comp, n_g, dtype=np.int64)
    np.minimum.at(first_label, comp_g, label_g)
    comp_order = np.lexsort((np.arange(n_comp), first_label))
    comp_rank = np.empty(n_comp, dtype=np.int64)
    comp_rank[comp_order] = np.arange(n_comp)
    # Arcs per component, from each group's number of arcs (the pairs are sorted by group).
    degree = np.diff(
        np.searchsorted(candidates.group, np.arange(n_g + 1, dtype=candidates.group.dtype))
    )
    arc_count = np.bincount(comp_rank[comp_g], weights=degree, minlength=n_comp).astype(np.int64)
    # Networks: runs of consecutive components with arcs, closed once big enough.
    net_of_comp = np.zeros(n_comp, dtype=np.int64)
    with_arcs = np.flatnonzero(arc_count)
    n_net = 0
    acc = 0
    for c in with_arcs.tolist():
        net_of_comp[c] = n_net
        acc += int(arc_count[c])
        if acc >= network_arcs:
            n_net += 1
            acc = 0
    n_net += acc > 0
    # Components without arcs join the network after the last one (they are never solved).
    net_of_comp[arc_count == 0] = n_net
    net_of_comp = net_of_comp[comp_rank]  # by component id
    net_g, net_h = net_of_comp[comp_g], net_of_comp[comp_h]
    # Participants ranked by (network, label): each network is a contiguous block of ranks
    # and, inside it, ranks follow labels.
    g_by_rank = np.argsort(net_g * n_g + label_g)
    h_by_rank = np.argsort(net_h * n_h + label_h)
    rank_g = np.empty(n_g, dtype=np.int64)
    rank_g[g_by_rank] = np.arange(n_g)
    rank_h = np.empty(n_h, dtype=np.int64)
    rank_h[h_by_rank] = np.arange(n_h)
    # Arcs ordered by (network, group rank, household rank). Candidates come sorted by
    # (group, household); when the labels are that order too (the parts of a large round are
    # relabelled that way), a stable sort by network keeps them sorted inside each network.
    net_by_rank = net_of_comp[comp_order]
    net_arcs = np.bincount(net_by_rank, weights=arc_count, minlength=n_net + 1).astype(np.int64)
    arc_end = np.cumsum(net_arcs)
    order: I64 | None = None
    if n_net == 1 and _identity(label_g) and _identity(label_h):
        pass
    elif _identity(label_g) and _identity(label_h):
        order = _by_network(net_of_comp[comp_g][candidates.group], net_arcs[:n_net], arc_end)
    else:
        key = rank_g[candidates.group]
        key *= n_h
        key += rank_h[candidates.household]
        order = sort_order(key, n_g * n_h)
        del key
    g_end = np.cumsum(np.bincount(net_g, minlength=n_net + 1))
    h_end = np.cumsum(np.bincount(net_h, minlength=n_net + 1))
    cuts = list(range(1, n_net + 1))
    # Kept in its own (narrow) integer type; each network widens its slice to int64 costs.
    pref_all = cast(Ints, np.asarray(preference))
    rank_g32, rank_h32 = rank_g.astype(np.int32), rank_h.astype(np.int32)
    bounds: list[tuple[int, int, int, int, int, int]] = []
    lo = 0
    for hi in cuts:
        bounds.append(
            (
                int(arc_end[lo - 1]) if lo else 0,
                int(arc_end[hi - 1]),
                int(g_end[lo - 1]) if lo else 0,
                int(g_end[hi - 1]),
                int(h_end[lo - 1]) if lo else 0,
                int(h_end[hi - 1]),
            )
        )
        lo = hi
    # Largest networks first: their chains of solves are the longest.
    bounds.sort(key=lambda b: (b[0] - b[1], b[0]))

    def job(a0: int, a1: int, g0: int, g1: int, h0: int, h1: int) -> _Job:
        def start() -> _Steps:
            arcs: I64 | slice = slice(a0, a1) if order is None else order[a0:a1]
            lg = rank_g32[candidates.group[arcs]]
            lg -= g0
            lh = rank_h32[candidates.household[arcs]]
            lh -= h0
            return _network_steps(
                lg,
                lh,
                pref_all[arcs],
                candidates.distance_km[arcs],
                g1 - g0,
                h1 - h0,
                control_arm=control_arm,
                prune_above=prune_above,
            )

        return start

    return _Plan(
        order, [(b[0], b[1]) for b in bounds], [job(*b) for b in bounds], int(with_arcs.shape[0])
    )


@dataclass(frozen=True)
class _Networks:
    """The chosen pairs of :func:`_solve_networks` and how they were reached."""

    chosen: I64  # candidate indices, ascending
    stats: SolveStats


def _solve_networks(
    candidates: Candidates,
    preference: Ints,
    label_g: I64,
    label_h: I64,
    *,
    control_arm: bool,
    prune_above: int,
    network_arcs: int,
    solver_process: bool | None,
) -> _Networks:
    """Exact optimum over ``candidates``: every component's network solved and certified.

    The answer depends only on the pairs and the labels, never on where the flows are
    solved (``solver_process``: a worker process beside this one, or here; ``None``: a
    worker for :data:`SOLVER_PROCESS_ABOVE` pairs or more on a machine with two processors).
    """
    if solver_process is None:
        solver_process = len(candidates) >= SOLVER_PROCESS_ABOVE and available_cpus() >= 2
    solver = _FlowSolver(solver_process)
    try:
        plan = _plan(
            candidates,
            preference,
            label_g,
            label_h,
            control_arm=control_arm,
            prune_above=prune_above,
            network_arcs=network_arcs,
        )
        answers = _run_networks(plan.jobs, solver)
    finally:
        solver.close()
    chosen = np.sort(
        np.concatenate(
            [
                (a0 + s.chosen if plan.order is None else plan.order[a0:a1][s.chosen])
                for (a0, a1), s in zip(plan.bounds, answers, strict=True)
            ]
            + [np.zeros(0, np.int64)]
        )
    ).astype(np.int64)
    return _Networks(
        chosen,
        SolveStats(
            max((s.unit_km for s in answers), default=10.0**_FINEST_UNIT_EXP),
            any(s.pruned for s in answers),
            sum(s.solves for s in answers),
            plan.components,
            len(plan.jobs),
            sum(s.pruned for s in answers),
        ),
    )


@dataclass(frozen=True)
class PartAnswer:
    """The assigned pairs of one part of a round (:func:`solve_parts`), and its counts.

    ``group``/``household`` are indices into the part's groups and households, sorted by
    (group, household); distance and ranks belong to the same pairs. ``counts`` are the
    part's reach counts, ``eligible_pairs`` its number of eligible pairs; ``stats`` says how
    the solver reached the answer.
    """

    group: I64
    household: I64
    distance_km: F64
    group_rank: I64
    household_rank: I64
    counts: ReachCounts
    eligible_pairs: int
    stats: SolveStats


@dataclass(frozen=True)
class _PartTask:
    """Everything needed to solve one part, anywhere: it pickles to a worker process.

    The part's participants are in lottery order: their positions are their labels.
    """

    round: Round
    prune_above: int
    network_arcs: int
    solver_process: bool | None


def _solve_part(task: _PartTask) -> PartAnswer:
    """Eligible pairs, ranks and the exact optimum of one part (here or in a worker)."""
    part = task.round
    candidates, counts = eligibility(part)
    group_rank, household_rank = pair_ranks(part, candidates)
    found = _solve_networks(
        candidates,
        group_rank + household_rank,
        np.arange(len(part.groups), dtype=np.int64),
        np.arange(len(part.households), dtype=np.int64),
        control_arm=part.parameters.control_arm,
        prune_above=task.prune_above,
        network_arcs=task.network_arcs,
        solver_process=task.solver_process,
    )
    chosen = found.chosen
    return PartAnswer(
        candidates.group[chosen].astype(np.int64),
        candidates.household[chosen].astype(np.int64),
        candidates.distance_km[chosen],
        group_rank[chosen].astype(np.int64),
        household_rank[chosen].astype(np.int64),
        counts,
        len(candidates),
        found.stats,
    )


@dataclass(frozen=True)
class PartsAssignment:
    """The solver's answer for a round solved part by part (:func:`solve_parts`).

    ``parts[p]`` answers part ``p``; ``control[p]`` says which of its pairs are control
    households; ``stats`` are the figures of all parts together.
    """

    parts: list[PartAnswer]
    control: list[Bools]
    stats: SolveStats

    @property
    def solver(self) -> str:
        return self.stats.solver


class _PartQueue:
    """Parts handed out in order to whoever is free: this process or the worker process."""

    def __init__(self, tasks: list[_PartTask]) -> None:
        self._tasks = tasks
        self._next = 0
        self._lock = threading.Lock()
        self.answers: list[PartAnswer | None] = [None] * len(tasks)

    def take(self) -> int | None:
        with self._lock:
            if self._next == len(self._tasks):
                return None
            self._next += 1
            return self._next - 1

    def task(self, index: int) -> _PartTask:
        return self._tasks[index]

    def close(self) -> None:
        """Hand out no more parts (an error stops the round)."""
        with self._lock:
            self._next = len(self._tasks)


def _feed_worker(
    queue: _PartQueue, worker: FlowWorker, failed: list[int], errors: list[BaseException]
) -> None:
    """Give the worker process parts until none is left.

    A part it cannot finish (the process died) is noted in ``failed``, to be solved here; an
    error the part itself raised there is kept in ``errors``, to be raised here.
    """
    while (index := queue.take()) is not None:
        try:
            queue.answers[index] = cast(PartAnswer, worker.call(_solve_part, queue.task(index)))
        except WorkerGone:
            failed.append(index)
            return
        except BaseException as error:  # raised again by the caller's thread
            errors.append(error)
            queue.close()
            return


def solve_parts(
    parts: Sequence[tuple[Round, I64, I64]],
    *,
    n_groups: int,
    n_households: int,
    seed: int,
    control_arm: bool,
    prune_above: int = PRUNE_ABOVE,
    network_arcs: int = NETWORK_ARCS,
    solver_process: bool | None = None,
    worker: FlowWorker | None = None,
) -> PartsAssignment:
    """Exact lexicographic optimum of a round given as parts (see module docstring).

    Parameters
    ----------
    parts
        ``(sub-round, group indices, household indices)`` per part, largest first: together
        the parts hold every eligible pair of the round, no participant is in two parts and
        no eligible pair crosses two (:func:`welcomematch.core.eligibility.round_parts`).
        Each part's pairs are found and solved on its own, so a part's answer depends only
        on the part, never on which process solved it.
    n_groups, n_households
        Sizes of the round (the lottery relabels all its participants at once).
    seed
        The round's lottery seed.
    control_arm
        Whether groups receive up to two households (treatment and control).
    prune_above, network_arcs
        As for :func:`solve_optimal`.
    solver_process
        Use a worker process: ``True``/``False`` force it; ``None`` uses one when the
        machine has a second processor and the round has several parts (they are then
        shared between the two processes), or one part with many pairs (its flows are then
        solved there). The result is the same either way.
    worker
        A worker process started beforehand (:func:`start_worker`), used instead of a new
        one when the parts are shared; the caller closes it.
    """
    rng = rng_for(seed, "optimal/relabel")
    label_g = random_labels(rng, n_groups)
    label_h = random_labels(rng, n_households)
    several = len(parts) > 1
    share = several and (solver_process if solver_process is not None else available_cpus() >= 2)
    # Each part is handed over with its participants in label order (labels 0..n-1): its
    # eligible pairs then come out sorted in label space, with no sort of their own.
    orders = [
        (np.argsort(label_g[groups]), np.argsort(label_h[households]))
        for _, groups, households in parts
    ]
    tasks = [
        _PartTask(
            Round(
                sub.parameters,
                tuple(sub.groups[i] for i in order_g.tolist()),
                tuple(sub.households[j] for j in order_h.tolist()),
            ),
            prune_above,
            network_arcs,
            False if several else solver_process,
        )
        for (sub, _, _), (order_g, order_h) in zip(parts, orders, strict=True)
    ]
    queue = _PartQueue(tasks)
    # This process takes the first (largest) part before the worker process, which has
    # still to start, can take it.
    first = queue.take()
    failed: list[int] = []
    errors: list[BaseException] = []
    feeder: threading.Thread | None = None
    own_worker = worker is None
    if not share:
        worker = None
    elif worker is None:
        try:
            worker = FlowWorker()
        except WorkerGone:
            worker = None
    if worker is not None:
        feeder = threading.Thread(
            target=_feed_worker,
            args=(queue, worker, failed, errors),
            name="parts",
            daemon=True,
        )
        feeder.start()
    try:
        index = first
        while index is not None:
            queue.answers[index] = _solve_part(tasks[index])
            index = queue.take()
    finally:
        queue.close()  # after an error here, the worker takes no further part
        if feeder is not None:
            feeder.join()
        if worker is not None and own_worker:
            worker.close()
    if errors:
        raise errors[0]
    for index in failed:  # the worker process died: solved here, with the same answer
        queue.answers[index] = _solve_part(tasks[index])
    answers = [
        _in_part_order(cast(PartAnswer, a), order_g, order_h)
        for a, (order_g, order_h) in zip(queue.answers, orders, strict=True)
    ]
    control = [np.zeros(a.group.shape[0], dtype=bool) for a in answers]
    if control_arm:
        control = _treatment_coins(parts, answers, n_households, seed)
    return PartsAssignment(answers, control, SolveStats.total(a.stats for a in answers))


def _in_part_order(answer: PartAnswer, order_g: I64, order_h: I64) -> PartAnswer:
    """A part's answer, solved in label order, in the order of the part's participants."""
    group, household = order_g[answer.group], order_h[answer.household]
    order = np.lexsort((household, group))
    counts = answer.counts
    back_g, back_h = np.argsort(order_g), np.argsort(order_h)
    return PartAnswer(
        group[order],
        household[order],
        answer.distance_km[order],
        answer.group_rank[order],
        answer.household_rank[order],
        ReachCounts(
            counts.group_in_range[back_g],
            counts.group_capacity_ok[back_g],
            counts.group_eligible[back_g],
            counts.household_in_range[back_h],
            counts.household_capacity_ok[back_h],
            counts.household_eligible[back_h],
        ),
        answer.eligible_pairs,
        answer.stats,
    )


def _treatment_coins(
    parts: Sequence[tuple[Round, I64, I64]],
    answers: list[PartAnswer],
    n_households: int,
    seed: int,
) -> list[Bools]:
    """Per part, which assigned pairs are controls: one fair coin per group with two.

    The coins are drawn in the order of the groups (then households) of the whole round, so
    they do not depend on how the round was split into parts.
    """
    keys = np.concatenate(
        [
            groups[a.group] * n_households + households[a.household]
            for (_, groups, households), a in zip(parts, answers, strict=True)
        ]
        + [np.zeros(0, np.int64)]
    )
    return _split(_coins(keys, n_households, seed), [a.group.shape[0] for a in answers])


def _coins(keys: I64, n_households: int, seed: int) -> Bools:
    """Control flags of pairs with keys ``group * n_households + household`` (any order)."""
    order = np.argsort(keys, kind="stable")
    groups = keys[order] // max(1, n_households)
    control_sorted = np.zeros(keys.shape[0], dtype=bool)
    if keys.shape[0]:
        first = np.r_[True, groups[1:] != groups[:-1]]
        doubles = np.flatnonzero(~first) - 1  # position of the first of each pair of two
        coins = fair_coins(rng_for(seed, "optimal/treatment-coin"), doubles.shape[0])
        control_sorted[doubles[coins]] = True
        control_sorted[doubles[~coins] + 1] = True
    control = np.empty(keys.shape[0], dtype=bool)
    control[order] = control_sorted
    return control


def _split(values: Bools, sizes: list[int]) -> list[Bools]:
    offsets = np.cumsum([0, *sizes])
    return [values[offsets[p] : offsets[p + 1]] for p in range(len(sizes))]


def solve_optimal(
    round: Round,
    candidates: Candidates,
    preference: npt.NDArray[np.integer[npt.NBitBase]] | I64 | I32,
    *,
    seed: int,
    control_arm: bool,
    prune_above: int = PRUNE_ABOVE,
    network_arcs: int = NETWORK_ARCS,
    solver_process: bool | None = None,
) -> OptimalAssignment:
    """Exact lexicographic optimum of the ``optimal`` mechanism (see module docstring).

    The whole round as one part (:func:`solve_parts` gives the same answer for it).

    Parameters
    ----------
    round
        The round; only sizes are read (indices of ``candidates`` refer to it).
    candidates
        Every eligible pair, sorted by (group, household).
    preference
        ``rank_g(h) + rank_h(g)`` per candidate.
    seed
        The round's lottery seed.
    control_arm
        Whether groups receive up to two households (treatment and control).
    prune_above
        Solve a network pruned and certified when it has more candidate arcs than this.
    network_arcs
        Consecutive small components are solved together until a network has at least this
        many arcs (fewer solver calls); a larger component is always a network of its own.
    solver_process
        Solve the flows in a worker process (overlapping them with certification here):
        ``True``/``False`` force it, ``None`` decides by size and processors. The result is
        the same either way.
    """
    n_g, n_h = len(round.groups), len(round.households)
    rng = rng_for(seed, "optimal/relabel")
    label_g = random_labels(rng, n_g)
    label_h = random_labels(rng, n_h)
    found = _solve_networks(
        candidates,
        cast(Ints, np.asarray(preference)),
        label_g,
        label_h,
        control_arm=control_arm,
        prune_above=prune_above,
        network_arcs=network_arcs,
        solver_process=solver_process,
    )
    chosen = found.chosen
    control = np.zeros(chosen.shape[0], dtype=bool)
    if control_arm:
        keys = candidates.group[chosen].astype(np.int64) * n_h + candidates.household[chosen]
        control = _coins(keys, n_h, seed)
    return OptimalAssignment(**vars(found.stats), pairs=chosen, control=control)
