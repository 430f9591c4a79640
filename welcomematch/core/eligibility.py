"""Which group–household pairs may be matched, and how far each participant could reach.

Definitions implemented (round-file contract, ``welcomematch.round/1``):

- ``distance(g, h)``: haversine great-circle distance, Earth radius 6371.0088 km
  (:func:`welcomematch.core.geo.haversine_km_array`).
- ``eligible(g, h)`` iff ``distance(g, h) <= max_distance_km`` and
  ``h.vulnerability <= g.capacity`` and neither lists the other in ``exclude``.

Candidate pairs are found with a k-d tree on 3-D unit vectors: two points are within a
great-circle distance ``d`` iff their chord is within ``2 sin(d / 2R)``. The tree is queried with
that chord radius, slightly padded, and every pair it returns is then filtered with the exact
haversine distance, so the tree only ever prunes pairs that are certainly out of range. No
dense all-pairs matrix is built; memory is proportional to the number of pairs in range.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from welcomematch.core.geo import EARTH_RADIUS_KM, chord_for_km, unit_vectors
from welcomematch.core.model import Round
from welcomematch.core.validation import unknown_exclude

IntArray = npt.NDArray[np.int32]
CountArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Relative and absolute padding of the chord radius: far above the rounding error of unit
#: vectors (~1e-16), far below anything that matters; the exact haversine filter follows.
_CHORD_PAD_REL = 1e-9
_CHORD_PAD_ABS = 1e-12

#: Groups are queried against the household tree in blocks of this many, which bounds the
#: temporary memory and yields candidates already grouped by group index.
_GROUP_BLOCK = 512


@dataclass(frozen=True)
class Candidates:
    """Every eligible pair of a round, sorted by (group, household).

    ``group[k]`` and ``household[k]`` index ``round.groups`` and ``round.households``;
    ``distance_km[k]`` is their haversine distance.
    """

    group: IntArray
    household: IntArray
    distance_km: FloatArray

    def __len__(self) -> int:
        return int(self.group.shape[0])


@dataclass(frozen=True)
class ReachCounts:
    """Per participant, how many partners pass each rule in turn (for unmatched reasons).

    ``*_in_range``: partners within ``max_distance_km``; ``*_capacity_ok``: of those, the pairs
    that also pass ``vulnerability <= capacity``; ``*_eligible``: of those, the pairs that are
    also not excluded (so eligible). Arrays are indexed like ``round.groups`` /
    ``round.households``.
    """

    group_in_range: CountArray
    group_capacity_ok: CountArray
    group_eligible: CountArray
    household_in_range: CountArray
    household_capacity_ok: CountArray
    household_eligible: CountArray


def excluded_pair_keys(round: Round) -> npt.NDArray[np.int64]:
    """Sorted unique keys ``g * n_households + h`` of pairs that either side excludes.

    Raises
    ------
    InvalidInput
        If an ``exclude`` entry names an id that does not exist on the other side.
    """
    n_h = len(round.households)
    g_index = {g.id: i for i, g in enumerate(round.groups)}
    h_index = {h.id: j for j, h in enumerate(round.households)}
    keys: list[int] = []
    for i, g in enumerate(round.groups):
        for hid in sorted(g.exclude):
            j = h_index.get(hid)
            if j is None:
                raise unknown_exclude("group", g.id, hid)
            keys.append(i * n_h + j)
    for j, h in enumerate(round.households):
        for gid in sorted(h.exclude):
            i_opt = g_index.get(gid)
            if i_opt is None:
                raise unknown_exclude("household", h.id, gid)
            keys.append(i_opt * n_h + j)
    return np.unique(np.asarray(keys, dtype=np.int64))


def _point_index(lat: FloatArray, lon: FloatArray) -> tuple[FloatArray, FloatArray, IntArray]:
    """Distinct points (lat, lon) and, per participant, the index of its point."""
    if lat.shape[0] == 0:
        return lat, lon, np.zeros(0, np.int32)
    points, inverse = np.unique(np.column_stack((lat, lon)), axis=0, return_inverse=True)
    return points[:, 0].copy(), points[:, 1].copy(), inverse.reshape(-1).astype(np.int32)


def _point_pairs_in_range(
    glat: FloatArray,
    glon: FloatArray,
    hlat: FloatArray,
    hlon: FloatArray,
    max_km: float,
    h_tree: cKDTree,
) -> tuple[IntArray, IntArray, FloatArray]:
    """Pairs of (group point, household point) with ``distance <= max_km``, and the distance.

    The distance is computed with exactly the operations of
    :func:`welcomematch.core.geo.haversine_km_array` (per-point terms hoisted), so it is the
    same floating-point number bit for bit. ``h_tree`` is the k-d tree of the household
    points' unit vectors.
    """
    g_phi, h_phi = np.radians(glat), np.radians(hlat)
    g_cos, h_cos = np.cos(g_phi), np.cos(h_phi)
    radius = chord_for_km(max_km) * (1.0 + _CHORD_PAD_REL) + _CHORD_PAD_ABS
    g_xyz = unit_vectors(glat, glon)
    parts: list[tuple[IntArray, IntArray, FloatArray]] = []
    two_r = 2 * EARTH_RADIUS_KM
    for start in range(0, glat.shape[0], _GROUP_BLOCK):
        stop = min(glat.shape[0], start + _GROUP_BLOCK)
        found = cKDTree(g_xyz[start:stop]).sparse_distance_matrix(
            h_tree, radius, output_type="ndarray"
        )
        if found.shape[0] == 0:
            continue
        gp = (found["i"] + start).astype(np.int32)
        hq = found["j"].astype(np.int32)
        del found
        dp = h_phi[hq] - g_phi[gp]
        dl = np.radians(hlon[hq] - glon[gp])
        a = np.sin(dp / 2) ** 2 + g_cos[gp] * h_cos[hq] * np.sin(dl / 2) ** 2
        dist = two_r * np.arcsin(np.minimum(1.0, np.sqrt(a)))
        keep = dist <= max_km
        parts.append((gp[keep], hq[keep], dist[keep]))
    if not parts:
        return np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float64)
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
    )


def _starts(sorted_keys: IntArray, n: int) -> CountArray:
    """``starts[k]``: first position of key ``k`` in ``sorted_keys``; ``starts[n]`` = length."""
    out = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(sorted_keys, minlength=n), out=out[1:])
    return out


def _segments(starts: CountArray, lengths: CountArray) -> CountArray:
    """Concatenation of ``arange(starts[i], starts[i] + lengths[i])`` over all ``i``."""
    total = int(lengths.sum())
    offsets = np.cumsum(lengths) - lengths
    out = np.repeat(starts - offsets, lengths)
    out += np.arange(total, dtype=np.int64)
    return out


@dataclass(frozen=True)
class _HouseholdSide:
    """Everything about the households that every block of groups shares (read only)."""

    n_h: int
    max_km: float
    excluded: npt.NDArray[np.int64]
    levels: CountArray
    points_lat: FloatArray
    points_lon: FloatArray
    point: IntArray
    per_point: CountArray
    tree: cKDTree | None
    by_point_level: CountArray  # households sorted by (point, vulnerability level, index)
    point_start: CountArray
    level_table: CountArray | None  # (point, levels <= l) -> count, when small enough
    level_key: CountArray | None  # else: sorted (point, level) keys of by_point_level


@dataclass(frozen=True)
class _Block:
    """The eligible pairs and counts of one block of groups (indices ``g0 .. g0 + n - 1``).

    The group counts are the block's groups'; the household counts are every household's,
    from this block's groups only.
    """

    candidates: Candidates
    counts: ReachCounts


def _household_side(round: Round) -> _HouseholdSide:
    n_h = len(round.households)
    vulnerability = np.fromiter(
        (h.vulnerability for h in round.households), dtype=np.int64, count=n_h
    )
    hlat = np.fromiter((h.lat for h in round.households), dtype=np.float64, count=n_h)
    hlon = np.fromiter((h.lon for h in round.households), dtype=np.float64, count=n_h)
    hp_lat, hp_lon, h_pt = _point_index(hlat, hlon)
    n_hp = hp_lat.shape[0]
    levels = np.unique(vulnerability)
    n_lv = levels.shape[0]
    h_level = np.searchsorted(levels, vulnerability)
    h_sorted = np.lexsort((np.arange(n_h), h_level, h_pt))
    h_start = _starts(h_pt[h_sorted], n_hp)
    table: CountArray | None = None
    level_key: CountArray | None = None
    if (n_lv + 1) * n_hp <= (1 << 22):
        table = np.zeros((n_hp, n_lv + 1), dtype=np.int64)
        np.add.at(table, (h_pt, h_level + 1), 1)
        np.cumsum(table, axis=1, out=table)
    else:
        level_key = h_pt[h_sorted].astype(np.int64) * (n_lv + 1) + h_level[h_sorted]
    return _HouseholdSide(
        n_h=n_h,
        max_km=round.parameters.max_distance_km,
        excluded=excluded_pair_keys(round),
        levels=levels,
        points_lat=hp_lat,
        points_lon=hp_lon,
        point=h_pt,
        per_point=np.bincount(h_pt, minlength=n_hp),
        tree=cKDTree(unit_vectors(hp_lat, hp_lon)) if n_hp else None,
        by_point_level=h_sorted,
        point_start=h_start,
        level_table=table,
        level_key=level_key,
    )


def _group_block(
    side: _HouseholdSide, g0: int, capacity: CountArray, glat: FloatArray, glon: FloatArray
) -> _Block:
    """Eligible pairs of the groups ``g0 .. g0 + len(capacity) - 1``, sorted by (group, hh).

    Participants who share a point (a postcode centroid) share their distances, so distances
    are computed once per pair of distinct points, then expanded to participants: a group is
    paired with the households of every point in range whose vulnerability is at most its
    capacity (households of a point are sorted by vulnerability, so that is a prefix). The
    expanded pairs are sorted by (group, household) with one packed-key sort.
    """
    n_g, n_h = capacity.shape[0], side.n_h
    n_lv = side.levels.shape[0]
    gp_lat, gp_lon, g_pt = _point_index(glat, glon)
    n_gp = gp_lat.shape[0]
    if n_g and side.tree is not None:
        pp, pq, pd = _point_pairs_in_range(
            gp_lat, gp_lon, side.points_lat, side.points_lon, side.max_km, side.tree
        )
    else:
        pp, pq, pd = np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float64)
    n_e = pp.shape[0]
    n_hp = side.per_point.shape[0]
    g_per_point = np.bincount(g_pt, minlength=n_gp)
    # In range: every participant of the points in range (exact integer sums in float64).
    g_in_range = np.bincount(pp, weights=side.per_point[pq], minlength=n_gp).astype(np.int64)
    h_in_range = np.bincount(pq, weights=g_per_point[pp], minlength=n_hp).astype(np.int64)
    g_in_range, h_in_range = g_in_range[g_pt], h_in_range[side.point]

    g_sorted = np.argsort(g_pt, kind="stable")
    g_start = _starts(g_pt[g_sorted], n_gp)
    g_level = np.searchsorted(side.levels, capacity, side="right")  # levels <= capacity
    # One segment per (point pair, group at its group point).
    seg_e = np.repeat(np.arange(n_e, dtype=np.int64), g_per_point[pp])
    seg_g = g_sorted[_segments(g_start[pp], g_per_point[pp].astype(np.int64))]
    seg_q = pq[seg_e]
    if side.level_table is not None:
        seg_len = side.level_table[seg_q, g_level[seg_g]]
    else:
        assert side.level_key is not None
        seg_len = np.searchsorted(
            side.level_key, seg_q.astype(np.int64) * (n_lv + 1) + g_level[seg_g]
        )
        seg_len -= side.point_start[seg_q]
    seg_first = side.point_start[seg_q]
    del seg_q
    # Expand to pairs: group, household, point pair; then sort by (group, household).
    gi64 = np.repeat(seg_g, seg_len)
    hj64 = side.by_point_level[_segments(seg_first, seg_len)]
    e64 = np.repeat(seg_e, seg_len)
    del seg_e, seg_g, seg_len, seg_first
    key = gi64  # in place: no new 8-byte-per-pair arrays
    key *= n_h
    key += hj64
    del gi64, hj64
    e_bits = max(1, (max(1, n_e) - 1).bit_length())
    if key.shape[0] and ((n_g * n_h - 1).bit_length() + e_bits) <= 63:
        key <<= e_bits
        key |= e64
        del e64
        key.sort()
        e64 = key & ((1 << e_bits) - 1)
        key >>= e_bits
    else:
        order = np.argsort(key, kind="stable")
        key, e64 = key[order], e64[order]
        del order
    hit = np.zeros(0, np.int64)
    lo, hi = np.searchsorted(side.excluded, [g0 * n_h, (g0 + n_g) * n_h])
    excluded = side.excluded[lo:hi] - g0 * n_h
    if excluded.shape[0] and key.shape[0]:
        pos = np.searchsorted(key, excluded)
        inside = pos < key.shape[0]
        hit = pos[inside][key[pos[inside]] == excluded[inside]]
    # Split the key into group and household, reusing its memory for the household part.
    quotient = key // max(1, n_h)
    gi = quotient.astype(np.int32)
    quotient *= n_h
    key -= quotient
    del quotient
    hj = key.astype(np.int32)
    del key
    g_capacity_ok = np.bincount(gi, minlength=n_g).astype(np.int64)
    h_capacity_ok = np.bincount(hj, minlength=n_h).astype(np.int64)
    g_eligible, h_eligible = g_capacity_ok.copy(), h_capacity_ok.copy()
    if hit.shape[0]:
        np.subtract.at(g_eligible, gi[hit], 1)
        np.subtract.at(h_eligible, hj[hit], 1)
        allowed = np.ones(gi.shape[0], dtype=bool)
        allowed[hit] = False
        gi, hj, e64 = gi[allowed], hj[allowed], e64[allowed]
    if g0:
        gi += g0
    return _Block(
        Candidates(gi, hj, pd[e64]),
        ReachCounts(g_in_range, g_capacity_ok, g_eligible, h_in_range, h_capacity_ok, h_eligible),
    )


#: Rounds with at least this many groups times households are split into blocks of groups,
#: eligible in parallel threads (NumPy and the k-d tree release the interpreter lock).
PARALLEL_ABOVE = 50_000_000
#: Blocks of groups of a parallel round (smaller arrays also keep more in the caches).
_BLOCKS = 4


def available_cpus() -> int:
    """Processors this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def eligibility(round: Round, *, blocks: int | None = None) -> tuple[Candidates, ReachCounts]:
    """Eligible pairs of ``round`` and the reach counts of every participant, in one pass.

    Large rounds are split into ``blocks`` blocks of consecutive groups (``None``: decided by
    size and processors), computed by two threads; blocks share everything about the
    households, and their pairs are concatenated in group order, so the answer is the same
    for any number of blocks.

    Raises
    ------
    InvalidInput
        If an ``exclude`` entry names an id that does not exist on the other side.
    """
    n_g, n_h = len(round.groups), len(round.households)
    side = _household_side(round)
    capacity = np.fromiter((g.capacity for g in round.groups), dtype=np.int64, count=n_g)
    glat = np.fromiter((g.lat for g in round.groups), dtype=np.float64, count=n_g)
    glon = np.fromiter((g.lon for g in round.groups), dtype=np.float64, count=n_g)
    if blocks is None:
        parallel = n_g * n_h >= PARALLEL_ABOVE and available_cpus() >= 2
        blocks = _BLOCKS if parallel else 1
    blocks = max(1, min(blocks, n_g))
    cuts = [n_g * b // blocks for b in range(blocks + 1)]

    def block(b: int) -> _Block:
        g0, g1 = cuts[b], cuts[b + 1]
        return _group_block(side, g0, capacity[g0:g1], glat[g0:g1], glon[g0:g1])

    if blocks == 1:
        parts = [block(0)]
    else:
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="eligibility") as pool:
            parts = list(pool.map(block, range(blocks)))
    if len(parts) == 1:
        return parts[0].candidates, parts[0].counts
    candidates = Candidates(
        np.concatenate([p.candidates.group for p in parts]),
        np.concatenate([p.candidates.household for p in parts]),
        np.concatenate([p.candidates.distance_km for p in parts]),
    )
    counts = ReachCounts(
        np.concatenate([p.counts.group_in_range for p in parts]),
        np.concatenate([p.counts.group_capacity_ok for p in parts]),
        np.concatenate([p.counts.group_eligible for p in parts]),
        np.sum([p.counts.household_in_range for p in parts], axis=0),
        np.sum([p.counts.household_capacity_ok for p in parts], axis=0),
        np.sum([p.counts.household_eligible for p in parts], axis=0),
    )
    return candidates, counts


#: Rounds with at least this many groups times households are split into parts
#: (:func:`round_parts`); smaller rounds are one part.
PARTS_ABOVE = 50_000_000
#: Neighbouring clusters are gathered into parts of at least this many groups times
#: households (fewer, larger parts: less overhead per part).
PART_COMBINATIONS = 2_000_000
#: Group points whose pairs in range are found at once when splitting a round into parts.
_PART_POINT_BLOCK = 2048


def _point_clusters(
    g_xyz: FloatArray, h_tree: cKDTree, n_hp: int, radius: float
) -> tuple[int, CountArray]:
    """Clusters of points linked by group–household point pairs within the chord ``radius``.

    Nodes are the group points, then the household points. Pairs are found for blocks of
    group points; after each block, every node is relabelled by its component so far, so
    only one block's pairs are ever held.
    """
    n_gp = g_xyz.shape[0]
    label = np.arange(n_gp + n_hp, dtype=np.int64)
    for start in range(0, n_gp, _PART_POINT_BLOCK):
        stop = min(n_gp, start + _PART_POINT_BLOCK)
        found = cKDTree(g_xyz[start:stop]).sparse_distance_matrix(
            h_tree, radius, output_type="ndarray"
        )
        tails = label[found["i"] + start]
        heads = label[found["j"] + n_gp]
        del found
        graph = csr_matrix(
            (np.ones(tails.shape[0], dtype=np.int8), (tails, heads)),
            shape=(n_gp + n_hp, n_gp + n_hp),
        )
        _, merged = connected_components(graph, directed=False)
        label = np.asarray(merged, dtype=np.int64)[label]
    _, dense = np.unique(label, return_inverse=True)
    return int(dense.max(initial=-1)) + 1, dense.reshape(-1).astype(np.int64)


def round_parts(
    round: Round, *, parts_above: int = PARTS_ABOVE, part_combinations: int = PART_COMBINATIONS
) -> list[tuple[CountArray, CountArray]]:
    """Split a round into parts that no pair within range crosses.

    Each part is ``(group indices, household indices)``, both ascending. A cluster is a
    connected set of points (postcode points, say) linked by a group point and a household
    point within range; the points are found with the k-d tree and the padded chord radius
    of :func:`eligibility`, a superset of the pairs in range, so every partner in range of a
    participant is in its cluster. Clusters, in the order of their first group, are gathered
    into parts of at least ``part_combinations`` groups times households; a cluster without
    groups or without households is in no part (nobody in it has a partner in range). The
    parts are returned largest first. Rounds below ``parts_above`` groups times households
    are one part holding everyone.

    The split depends only on the round, so a round solved part by part always gets the
    same answer.
    """
    n_g, n_h = len(round.groups), len(round.households)
    whole = [(np.arange(n_g, dtype=np.int64), np.arange(n_h, dtype=np.int64))]
    if n_g * n_h < parts_above:
        return whole
    glat = np.fromiter((g.lat for g in round.groups), np.float64, n_g)
    glon = np.fromiter((g.lon for g in round.groups), np.float64, n_g)
    hlat = np.fromiter((h.lat for h in round.households), np.float64, n_h)
    hlon = np.fromiter((h.lon for h in round.households), np.float64, n_h)
    gp_lat, gp_lon, g_pt = _point_index(glat, glon)
    hp_lat, hp_lon, h_pt = _point_index(hlat, hlon)
    radius = chord_for_km(round.parameters.max_distance_km)
    radius = radius * (1.0 + _CHORD_PAD_REL) + _CHORD_PAD_ABS
    n_gp, n_hp = gp_lat.shape[0], hp_lat.shape[0]
    n_clusters, point_cluster = _point_clusters(
        unit_vectors(gp_lat, gp_lon), cKDTree(unit_vectors(hp_lat, hp_lon)), n_hp, radius
    )
    cluster = np.concatenate([point_cluster[:n_gp][g_pt], point_cluster[n_gp:][h_pt]])
    g_cluster, h_cluster = cluster[:n_g], cluster[n_g:]
    g_count = np.bincount(g_cluster, minlength=n_clusters)
    h_count = np.bincount(h_cluster, minlength=n_clusters)
    # Clusters in the order of their first group; those with both sides only.
    first_group = np.full(n_clusters, n_g, dtype=np.int64)
    np.minimum.at(first_group, g_cluster, np.arange(n_g, dtype=np.int64))
    useful = np.flatnonzero((g_count > 0) & (h_count > 0))
    useful = useful[np.argsort(first_group[useful], kind="stable")]
    part_of = np.full(n_clusters, -1, dtype=np.int64)
    sizes: list[int] = []
    size = 0
    for c in useful.tolist():
        if not sizes or size >= part_combinations:
            sizes.append(0)
            size = 0
        part_of[c] = len(sizes) - 1
        size += int(g_count[c]) * int(h_count[c])
        sizes[-1] = size
    if len(sizes) <= 1 and useful.shape[0] == n_clusters:
        return whole
    g_part, h_part = part_of[g_cluster], part_of[h_cluster]
    g_order = np.argsort(g_part, kind="stable")
    h_order = np.argsort(h_part, kind="stable")
    g_bounds = np.searchsorted(g_part[g_order], np.arange(len(sizes) + 1))
    h_bounds = np.searchsorted(h_part[h_order], np.arange(len(sizes) + 1))
    parts = [
        (
            g_order[g_bounds[p] : g_bounds[p + 1]].astype(np.int64),
            h_order[h_bounds[p] : h_bounds[p + 1]].astype(np.int64),
        )
        for p in range(len(sizes))
    ]
    largest_first = sorted(range(len(parts)), key=lambda p: (-sizes[p], p))
    return [parts[p] for p in largest_first]


def sub_round(round: Round, groups: CountArray, households: CountArray) -> Round:
    """The round restricted to some groups and households (indices, ascending).

    ``exclude`` entries naming someone outside are dropped: the pair is not in the
    sub-round. Used for the parts of :func:`round_parts`, which no eligible pair crosses.
    """
    if groups.shape[0] == len(round.groups) and households.shape[0] == len(round.households):
        return round
    gs = [round.groups[i] for i in groups.tolist()]
    hs = [round.households[j] for j in households.tolist()]
    g_ids = {g.id for g in gs}
    h_ids = {h.id for h in hs}
    gs = [
        replace(g, exclude=frozenset(x for x in g.exclude if x in h_ids)) if g.exclude else g
        for g in gs
    ]
    hs = [
        replace(h, exclude=frozenset(x for x in h.exclude if x in g_ids)) if h.exclude else h
        for h in hs
    ]
    return Round(round.parameters, tuple(gs), tuple(hs))


def eligible_candidates(round: Round) -> Candidates:
    """Every eligible pair of ``round``, sorted by (group, household).

    Raises
    ------
    InvalidInput
        If an ``exclude`` entry names an id that does not exist on the other side.
    """
    return eligibility(round)[0]


def reach_counts(round: Round) -> ReachCounts:
    """How many partners each participant has in range, passing capacity, and eligible."""
    return eligibility(round)[1]
