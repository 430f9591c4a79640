"""Pair ranks and the integer costs of the flow networks.

Definitions (``docs/round-format.md``): ``rank_g(h)`` is the 0-based position of h's type in
g's ranking, or the ranking's length if absent; the pair's preference cost is
``rank_g(h) + rank_h(g)``. The flow solver works with one integer cost per pair,

    ``cost = preference * W + round(distance_km / unit)``,

where ``W`` exceeds the total distance units of any assignment of the network, so a total cost
orders assignments by total preference first and total distance second: no distance saving
can pay for one unit of preference. ``unit`` is the finest power of ten of a km (at most
1e-9 km) for which no number in the solver can overflow (:func:`cost_scale` proves it).

Arc costs order by preference level first, which the pruning uses: a participant's ``k``
cheapest arcs lie among its arcs at its lowest levels (:func:`lowest_levels`), and are then
picked by :func:`cheapest_per_node`.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from welcomematch.core.eligibility import Candidates
from welcomematch.core.errors import Infeasible
from welcomematch.core.flow.tuning import DEFAULT_TUNING, F64, I64, Bools, Ints, Tuning
from welcomematch.core.model import Group, Household, Round

__all__ = [
    "COST_LIMIT",
    "bits",
    "cheapest_per_node",
    "cost_scale",
    "lowest_levels",
    "pair_costs",
    "pair_ranks",
    "rank_tables",
]

#: Costs times (nodes + 1) must stay below this (OR-Tools scales costs by the node count).
COST_LIMIT = 1 << 61
#: Finest and coarsest distance units tried, as powers of ten of a km.
_FINEST_UNIT_EXP = -9
_COARSEST_UNIT_EXP = 3


def _rank_dtype(max_rank: int) -> type[np.signedinteger[Any]]:
    """The narrowest integer type that holds every rank and every sum of two ranks."""
    for dtype in (np.int8, np.int16, np.int32):
        if 2 * max_rank <= np.iinfo(dtype).max:
            return dtype
    return np.int64


def rank_tables(round: Round) -> tuple[I64, I64, I64, I64]:
    """The rankings as tables: ``rank_g(h)`` is ``g_table[g, h_type[h]]`` and ``rank_h(g)``
    is ``h_table[h, g_type[g]]`` (0-based position of the type, ``len(ranking)`` if absent).
    Types are numbered in sorted order."""
    g_types = sorted({g.type for g in round.groups})
    h_types = sorted({h.type for h in round.households})
    g_code = {t: i for i, t in enumerate(g_types)}
    h_code = {t: i for i, t in enumerate(h_types)}
    tables = []
    sides: tuple[tuple[Sequence[Group | Household], dict[str, int], int], ...] = (
        (round.groups, h_code, len(h_types)),
        (round.households, g_code, len(g_types)),
    )
    for own, code, n_types in sides:
        table = np.empty((len(own), n_types), dtype=np.int64)
        for i, p in enumerate(own):
            table[i, :] = len(p.ranking)
            for pos, t in enumerate(p.ranking):
                other = code.get(t)
                if other is not None:
                    table[i, other] = pos
        tables.append(table)
    g_type = np.fromiter((g_code[g.type] for g in round.groups), np.int64, len(round.groups))
    h_type = np.fromiter(
        (h_code[h.type] for h in round.households), np.int64, len(round.households)
    )
    return tables[0], tables[1], g_type, h_type


def pair_ranks(
    round: Round, candidates: Candidates, tuning: Tuning = DEFAULT_TUNING
) -> tuple[Ints, Ints]:
    """``rank_g(h)`` and ``rank_h(g)`` for every candidate pair (0-based, ``len`` if absent).

    In the narrowest integer type that also holds their sum (a rank is at most the length of
    a ranking, usually a handful): the arrays have one entry per candidate pair, so their
    width is memory traffic everywhere they are read.
    """
    g_table, h_table, g_type, h_type = rank_tables(round)
    n_g_types, n_h_types = h_table.shape[1], g_table.shape[1]
    top = max(int(g_table.max(initial=0)), int(h_table.max(initial=0)))
    dtype = _rank_dtype(top)
    m = len(candidates)
    if m == 0:
        return np.zeros(0, dtype), np.zeros(0, dtype)
    g_flat = g_table.astype(dtype).ravel()
    h_flat = h_table.astype(dtype).ravel()
    group_rank = np.empty(m, dtype)
    household_rank = np.empty(m, dtype)

    def gather(lo: int, hi: int) -> None:
        gi = candidates.group[lo:hi].astype(np.int64)
        hj = candidates.household[lo:hi].astype(np.int64)
        index = gi * n_h_types
        index += h_type[hj]
        np.take(g_flat, index, out=group_rank[lo:hi])
        index = hj
        index *= n_g_types
        index += g_type[gi]
        np.take(h_flat, index, out=household_rank[lo:hi])

    if m >= tuning.threaded_ranks_above:
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="ranks") as pool:
            list(pool.map(lambda b: gather(m * b // 4, m * (b + 1) // 4), range(4)))
    else:
        gather(0, m)
    return group_rank, household_rank


def cost_scale(p_max: int, d_max: float, *, max_pairs: int, n_nodes: int) -> tuple[float, int]:
    """The distance ``unit`` and preference weight ``W`` of the integer costs."""
    k = max(1, max_pairs)
    for exp in range(_FINEST_UNIT_EXP, _COARSEST_UNIT_EXP + 1):
        unit = 10.0**exp
        du_max = int(np.floor(d_max / unit + 0.5))
        weight = k * du_max + 1
        c_max = p_max * weight + du_max
        if c_max * (n_nodes + 2) < COST_LIMIT and c_max * k < COST_LIMIT:
            return unit, weight
    raise Infeasible("round too large for exact integer costs")


def pair_costs(preference: Ints, distance_km: F64, unit: float, weight: int) -> I64:
    """``preference * weight + round(distance_km / unit)`` as int64."""
    cost = preference.astype(np.int64)
    cost *= weight
    cost += np.floor(distance_km / unit + 0.5).astype(np.int64)
    return cost


def bits(n: int) -> int:
    """Bits needed to store every value ``0..n-1`` (at least 1)."""
    return max(1, (max(1, n) - 1).bit_length())


def cheapest_per_node(node: I64, cost: I64, k: int, cost_bound: int, n_nodes: int) -> Bools:
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
    pos_bits = bits(m)
    node_bits = bits(n_nodes)
    cost_bits = min(bits(cost_bound), 62 - pos_bits - node_bits)
    if cost_bits >= 8:
        if bits(cost_bound) > cost_bits:
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


def lowest_levels(node: Ints, level: Ints, k: int, n_nodes: int) -> I64:
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
