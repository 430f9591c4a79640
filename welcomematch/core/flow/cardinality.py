"""Maximum assignments (Hopcroft–Karp) and König's certificate of maximality.

A *maximum assignment with group capacity c* is a largest set of arcs in which every
household appears at most once and every group at most ``c`` times (``c = 1``: a maximum
matching; ``c = 2``: the control arm's second slots). Its size is computed by Hopcroft–Karp
(:func:`scipy.sparse.csgraph.maximum_bipartite_matching`) on a graph whose rows are the
copies of the groups.

*König's set* of a maximum assignment: the groups and households reachable by alternating
paths from a group with a free copy. When no arc of a larger graph joins a group in that set
to a household outside it, the larger graph has no augmenting path either, so the assignment
is maximum there too (:func:`no_augmenting_arc`): a maximum assignment of a network's pruned
arcs can then be used for the whole network without searching all its arcs.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order, maximum_bipartite_matching

from welcomematch.core.flow.tuning import I64, Ints

__all__ = ["max_assignment", "no_augmenting_arc"]


def max_assignment(
    lg: Ints, lh: Ints, n_g: int, n_h: int, copies: int, first: I64 | None, bound: int
) -> tuple[int, I64]:
    """Maximum assignment size (group capacity ``copies``) and the arc positions it uses.

    ``first`` (positions of a subset of the arcs, ascending) is tried first: a maximum
    assignment of the subset is maximum for the whole graph too if it reaches ``bound``, an
    upper bound of the whole graph's, or if no arc of the whole graph leaves the subset's
    König set (:func:`no_augmenting_arc`); only otherwise is the whole graph searched.
    """
    if first is not None:
        sub_g, sub_h = lg[first], lh[first]
        value, arcs, col_of_row = _matching(sub_g, sub_h, n_g, n_h, copies)
        if value >= bound or no_augmenting_arc(sub_g, sub_h, col_of_row, lg, lh, n_g, n_h):
            return value, first[arcs]
    value, arcs, _ = _matching(lg, lh, n_g, n_h, copies)
    return value, arcs


def no_augmenting_arc(
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


def _matching(lg: Ints, lh: Ints, n_g: int, n_h: int, copies: int) -> tuple[int, I64, I64]:
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
