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

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from welcomematch.core.errors import InvalidInput
from welcomematch.core.geo import EARTH_RADIUS_KM, chord_for_km, unit_vectors
from welcomematch.core.model import Round

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


def _coordinates(round: Round) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    glat = np.fromiter((g.lat for g in round.groups), dtype=np.float64, count=len(round.groups))
    glon = np.fromiter((g.lon for g in round.groups), dtype=np.float64, count=len(round.groups))
    hlat = np.fromiter(
        (h.lat for h in round.households), dtype=np.float64, count=len(round.households)
    )
    hlon = np.fromiter(
        (h.lon for h in round.households), dtype=np.float64, count=len(round.households)
    )
    return glat, glon, hlat, hlon


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
                raise InvalidInput(f"unknown household id {hid!r}", record=g.id, field="exclude")
            keys.append(i * n_h + j)
    for j, h in enumerate(round.households):
        for gid in sorted(h.exclude):
            i_opt = g_index.get(gid)
            if i_opt is None:
                raise InvalidInput(f"unknown group id {gid!r}", record=h.id, field="exclude")
            keys.append(i_opt * n_h + j)
    return np.unique(np.asarray(keys, dtype=np.int64))


def _pairs_in_range(
    round: Round,
) -> tuple[IntArray, IntArray, FloatArray]:
    """All pairs with ``distance <= max_distance_km``, sorted by (group, household).

    The distance is computed with exactly the operations of
    :func:`welcomematch.core.geo.haversine_km_array` (per-point terms hoisted), so it is the
    same floating-point number bit for bit.
    """
    n_g, n_h = len(round.groups), len(round.households)
    max_km = round.parameters.max_distance_km
    empty = (np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float64))
    if n_g == 0 or n_h == 0:
        return empty
    glat, glon, hlat, hlon = _coordinates(round)
    g_phi, h_phi = np.radians(glat), np.radians(hlat)
    g_cos, h_cos = np.cos(g_phi), np.cos(h_phi)
    radius = chord_for_km(max_km) * (1.0 + _CHORD_PAD_REL) + _CHORD_PAD_ABS
    h_tree = cKDTree(unit_vectors(hlat, hlon))
    g_xyz = unit_vectors(glat, glon)
    parts_g: list[IntArray] = []
    parts_h: list[IntArray] = []
    parts_d: list[FloatArray] = []
    two_r = 2 * EARTH_RADIUS_KM
    for start in range(0, n_g, _GROUP_BLOCK):
        stop = min(n_g, start + _GROUP_BLOCK)
        found = cKDTree(g_xyz[start:stop]).sparse_distance_matrix(
            h_tree, radius, output_type="ndarray"
        )
        if found.shape[0] == 0:
            continue
        local = found["i"].astype(np.int64)
        hj = found["j"].astype(np.int32)
        del found
        gi = (local + start).astype(np.int32)
        dp = h_phi[hj] - g_phi[gi]
        dl = np.radians(hlon[hj] - glon[gi])
        a = np.sin(dp / 2) ** 2 + g_cos[gi] * h_cos[hj] * np.sin(dl / 2) ** 2
        dist = two_r * np.arcsin(np.minimum(1.0, np.sqrt(a)))
        keep = dist <= max_km
        order = np.argsort(local[keep] * n_h + hj[keep])
        parts_g.append(gi[keep][order])
        parts_h.append(hj[keep][order])
        parts_d.append(dist[keep][order])
    if not parts_g:
        return empty
    return np.concatenate(parts_g), np.concatenate(parts_h), np.concatenate(parts_d)


def eligibility(round: Round) -> tuple[Candidates, ReachCounts]:
    """Eligible pairs of ``round`` and the reach counts of every participant, in one pass.

    Raises
    ------
    InvalidInput
        If an ``exclude`` entry names an id that does not exist on the other side.
    """
    n_g, n_h = len(round.groups), len(round.households)
    excluded = excluded_pair_keys(round)
    gi, hj, dist = _pairs_in_range(round)
    capacity = np.fromiter((g.capacity for g in round.groups), dtype=np.int64, count=n_g)
    vulnerability = np.fromiter(
        (h.vulnerability for h in round.households), dtype=np.int64, count=n_h
    )
    g_in_range = np.bincount(gi, minlength=n_g).astype(np.int64)
    h_in_range = np.bincount(hj, minlength=n_h).astype(np.int64)
    ok = vulnerability[hj] <= capacity[gi]
    gi, hj, dist = gi[ok], hj[ok], dist[ok]
    g_capacity_ok = np.bincount(gi, minlength=n_g).astype(np.int64)
    h_capacity_ok = np.bincount(hj, minlength=n_h).astype(np.int64)
    if excluded.shape[0] and gi.shape[0]:
        keys = gi.astype(np.int64) * n_h + hj
        pos = np.searchsorted(keys, excluded)
        hit = pos[pos < keys.shape[0]]
        hit = hit[keys[hit] == excluded[pos < keys.shape[0]]]
        if hit.shape[0]:
            allowed = np.ones(keys.shape[0], dtype=bool)
            allowed[hit] = False
            gi, hj, dist = gi[allowed], hj[allowed], dist[allowed]
    g_eligible = np.bincount(gi, minlength=n_g).astype(np.int64)
    h_eligible = np.bincount(hj, minlength=n_h).astype(np.int64)
    candidates = Candidates(group=gi, household=hj, distance_km=dist)
    counts = ReachCounts(
        group_in_range=g_in_range,
        group_capacity_ok=g_capacity_ok,
        group_eligible=g_eligible,
        household_in_range=h_in_range,
        household_capacity_ok=h_capacity_ok,
        household_eligible=h_eligible,
    )
    return candidates, counts


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
