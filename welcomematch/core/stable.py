"""Mechanism ``"stable"``: group-proposing deferred acceptance with lottery tie-breaking.

Definitions (round-file contract, ``welcomematch.round/1``):

- ``rank_g(h)``: 0-based position of ``h.type`` in ``g.ranking``, or ``len(g.ranking)`` if
  absent; ``rank_h(g)`` likewise.
- Ties are broken by the seeded lottery, exactly as follows. ``rng =
  numpy.random.default_rng(seed)``; ``lottery_h = rng.permutation(n_households)`` is drawn
  first, then ``lottery_g = rng.permutation(n_groups)``. Group ``g`` strictly prefers ``h`` to
  ``h'`` iff ``(rank_g(h), lottery_h[h]) < (rank_g(h'), lottery_h[h'])``; household ``h``
  strictly prefers ``g`` to ``g'`` iff ``(rank_h(g), lottery_g[g]) < (rank_h(g'),
  lottery_g[g'])``. One lottery number per participant is shared by everybody on the other
  side (single tie-breaking), so participants the rules cannot tell apart have equal chances
  across seeds. Only eligible pairs appear in either side's list.
- Groups propose in the order of these strict lists (Gale–Shapley); each household holds the
  best proposal so far. The result is stable for the strict orders, hence *weakly* stable for
  the rankings: no eligible pair ``(g, h)`` where each is unmatched or strictly prefers the
  other (by rank) to its partner. Among stable matchings it is the group-optimal one.

Runs in ``O(P log P)`` for ``P`` eligible pairs (one lexsort; then at most ``P`` proposals).
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from welcomematch.core.flow.costs import rank_tables
from welcomematch.core.model import Round


class CandidatePairs(Protocol):
    """The eligible pairs (:class:`welcomematch.core.eligibility.Candidates` fits)."""

    @property
    def group(self) -> npt.NDArray[np.integer[Any]]: ...

    @property
    def household(self) -> npt.NDArray[np.integer[Any]]: ...


def type_ranks(
    round: Round, group: npt.NDArray[Any], household: npt.NDArray[Any]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """``rank_g(h)`` and ``rank_h(g)`` for the pairs ``(group[k], household[k])`` (indices)."""
    table_g, table_h, g_type, h_type = rank_tables(round)
    gi = np.asarray(group, dtype=np.int64)
    hj = np.asarray(household, dtype=np.int64)
    if gi.shape[0] == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return table_g[gi, h_type[hj]], table_h[hj, g_type[gi]]


def solve_stable(round: Round, candidates: CandidatePairs, seed: int) -> list[tuple[int, int]]:
    """Group-proposing deferred acceptance over the eligible pairs, ties broken by lottery.

    Parameters
    ----------
    round:
        The round; only participants' types and rankings are read here.
    candidates:
        Every eligible pair as index arrays into ``round.groups`` / ``round.households``.
    seed:
        Seed of the tie-breaking lottery (see the module docstring for the exact draws).

    Returns
    -------
    list of (group index, household index)
        The matched pairs, sorted by group index; each group and household at most once.
    """
    n_g, n_h = len(round.groups), len(round.households)
    rng = np.random.default_rng(seed)
    lottery_h = rng.permutation(n_h).astype(np.int64)
    lottery_g = rng.permutation(n_g).astype(np.int64)
    gi = np.asarray(candidates.group, dtype=np.int64)
    hj = np.asarray(candidates.household, dtype=np.int64)
    if gi.shape[0] == 0:
        return []
    rank_g, rank_h = type_ranks(round, gi, hj)
    # Each group's proposal list: its pairs sorted by (group, rank_g, lottery_h), as one
    # integer key when it fits (much faster than lexsort).
    n_ranks = int(rank_g.max()) + 1
    if n_g * n_ranks * max(n_h, 1) < 2**62:
        key = (gi * n_ranks + rank_g) * n_h + lottery_h[hj]
        order = np.argsort(key, kind="stable")
    else:  # pragma: no cover - astronomically large rounds only
        order = np.lexsort((lottery_h[hj], rank_g, gi))
    # Arrays stay numpy: a round makes few proposals per group, so only those are read.
    proposal_household = hj[order]
    # A household's score of a proposing group: smaller is better.
    score = (rank_h * n_g + lottery_g[gi])[order]
    starts = np.searchsorted(gi[order], np.arange(n_g + 1)).tolist()

    next_pair = starts[:-1]  # per group, position of its next proposal
    holder = [-1] * n_h  # group currently held by each household
    holder_score = [0] * n_h
    free = [i for i in range(n_g - 1, -1, -1) if starts[i] < starts[i + 1]]
    while free:
        i = free.pop()
        end = starts[i + 1]
        k = next_pair[i]
        while k < end:
            j = int(proposal_household[k])
            s = int(score[k])
            k += 1
            current = holder[j]
            if current < 0:
                holder[j] = i
                holder_score[j] = s
                break
            if s < holder_score[j]:
                holder[j] = i
                holder_score[j] = s
                free.append(current)
                break
        next_pair[i] = k
    pairs = [(i, j) for j, i in enumerate(holder) if i >= 0]
    pairs.sort()
    return pairs
