"""Keep a min-cost flow optimal when arcs are added, without solving it again.

A flow is optimal exactly when node potentials ``pot`` exist under which every arc of its
residual network has a non-negative reduced cost ``cost + pot[tail] - pot[head]``. When the
certification (:mod:`welcomematch.core.flow.certify`) finds a few left-out arcs with negative
reduced costs, :meth:`OptimalFlow.add` adds them one by one and restores that proof locally
instead of handing the whole network to the flow solver again.

For a new arc ``u -> v`` (capacity 1, no flow) with reduced cost ``-delta < 0``, a Dijkstra
search from ``v`` on the residual network (reduced costs, all non-negative), limited to
distances below ``delta``, gives distances ``d``:

* if it reaches ``u`` (``d[u] < delta``), the arc and the shortest path ``v -> u`` form a
  cycle of negative cost: one unit is pushed around it (the flow value does not change);
* otherwise no cycle through the arc has negative cost and the flow stays as it is.

Either way, with ``D = min(d[u], delta)``, the potentials ``pot[x] -= D - d[x]`` for every
``x`` with ``d[x] < D`` keep every residual arc non-negative, make the path's arcs tight
(zero reduced cost, so their reversal is non-negative too) and give the new arc reduced cost
``D - delta``: zero when it stays empty, negative but saturated when the flow took it (its
residual reverse arc is then positive). Only nodes within distance ``delta`` of ``v`` are
touched, so arcs whose searched sets (and ends) are disjoint are independent: one batch of
searches (one SciPy call) settles all of them, and an arc whose set meets an earlier arc's
set waits for the next batch, searched again on the updated network.

Distances are searched in floating point; they are exact because every distance compared
is an integer below ``2**52`` (larger gaps are not repaired, the caller solves again).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from welcomematch.core.errors import Infeasible
from welcomematch.core.flow.tuning import I64, Bools

__all__ = ["BATCH", "MAX_BATCHES", "OptimalFlow"]

#: Violating arcs searched together in one batch (one SciPy call).
BATCH = 64
#: Batches tried before giving up (the caller then solves the network again).
MAX_BATCHES = 10
#: Reduced costs at least this large are not repaired: float64 would not be exact.
_EXACT_BELOW = 1 << 52


@dataclass
class OptimalFlow:
    """A flow with potentials that prove it optimal: ``tails``/``heads``/``caps``/``costs``
    per arc, ``flows`` on them, ``pot`` per node. Arcs are only ever appended."""

    n_nodes: int
    tails: I64
    heads: I64
    caps: I64
    costs: I64
    flows: I64
    pot: I64

    def __post_init__(self) -> None:
        self._supplies = self.supplies()

    def supplies(self) -> I64:
        """What every node sends out (out-flow minus in-flow)."""
        out = np.bincount(self.tails, weights=self.flows, minlength=self.n_nodes)
        out -= np.bincount(self.heads, weights=self.flows, minlength=self.n_nodes)
        return out.astype(np.int64)

    def reduced_costs(self) -> I64:
        return self.costs + self.pot[self.tails] - self.pot[self.heads]

    def check(self) -> None:
        """Raise :class:`Infeasible` unless flows are feasible (within capacities, every
        node's supply as at the start) and the potentials prove them optimal (every residual
        arc has a non-negative reduced cost)."""
        rc = self.reduced_costs()
        if (self.flows < 0).any() or (self.flows > self.caps).any():
            raise Infeasible("repaired flow leaves an arc's capacity (solver inconsistency)")
        if not np.array_equal(self.supplies(), self._supplies):
            raise Infeasible("repaired flow changed a node's supply (solver inconsistency)")
        if (rc[self.flows < self.caps] < 0).any() or (rc[self.flows > 0] > 0).any():
            raise Infeasible("repaired flow is not optimal (solver inconsistency)")

    def add(self, tails: I64, heads: I64, costs: I64) -> bool:
        """Append unit-capacity arcs and keep the flow optimal; ``False`` if it gave up.

        After ``False`` the object is in an unspecified state and must be discarded (the
        caller solves the network again with the arcs added).
        """
        n_old = self.tails.shape[0]
        self.tails = np.concatenate([self.tails, tails])
        self.heads = np.concatenate([self.heads, heads])
        self.caps = np.concatenate([self.caps, np.ones(tails.shape[0], np.int64)])
        self.costs = np.concatenate([self.costs, costs])
        self.flows = np.concatenate([self.flows, np.zeros(tails.shape[0], np.int64)])
        pending = np.arange(n_old, self.tails.shape[0], dtype=np.int64)
        graph = _Graph(self.n_nodes, self.tails, self.heads)
        for _ in range(MAX_BATCHES):
            rc = self.reduced_costs()
            # Settled: a non-negative reduced cost, or full (a negative one is then right).
            pending = pending[(rc[pending] < 0) & (self.flows[pending] < self.caps[pending])]
            if pending.shape[0] == 0:
                return True
            if int(-rc[pending].min()) >= _EXACT_BELOW:  # the largest gap
                return False
            self._batch(graph, rc, pending)
        return False

    def _batch(self, graph: _Graph, rc: I64, pending: I64) -> None:
        """Settle, of the :data:`BATCH` pending arcs with the smallest gaps, those whose
        searched sets are disjoint."""
        waiting = np.zeros(self.tails.shape[0], dtype=bool)
        waiting[pending] = True
        forward = (self.flows < self.caps) & ~waiting
        backward = self.flows > 0
        weights = graph.weights(rc, forward, backward)
        # Smallest gaps first: their searches are short and rarely meet.
        gaps = -rc[pending]
        batch = pending[np.lexsort((pending, gaps))[:BATCH]]
        delta = -rc[batch]
        dist, pred = dijkstra(
            weights,
            directed=True,
            indices=self.heads[batch],
            limit=float(delta.max()),
            return_predecessors=True,
        )
        changed = np.zeros(self.n_nodes, dtype=bool)
        for row, arc in enumerate(batch.tolist()):
            u, v, gap = int(self.tails[arc]), int(self.heads[arc]), int(delta[row])
            d = dist[row]
            near = np.flatnonzero(d < gap)
            if changed[near].any() or changed[u]:
                continue  # searched again in the next batch
            reach = gap
            if d[u] < gap:  # a negative cycle: push one unit around it
                reach = int(d[u])
                changed[self._push(graph, weights, pred[row], v, u)] = True
                self.flows[arc] += 1
            inside = near[d[near] < reach]
            self.pot[inside] -= reach - d[inside].astype(np.int64)
            changed[inside] = True
            changed[u] = changed[v] = True

    def _push(
        self, graph: _Graph, weights: csr_matrix, pred: npt.NDArray[np.int32], start: int, end: int
    ) -> list[int]:
        """One unit along the search tree's path ``start -> end``; returns the path's nodes."""
        node = end
        path = [end]
        while node != start:
            prev = int(pred[node])
            if prev < 0:
                raise Infeasible("broken shortest-path tree (solver inconsistency)")
            arc, along = graph.arc(prev, node, weights)
            self.flows[arc] += 1 if along else -1
            node = prev
            path.append(node)
        return path


class _Graph:
    """Both directions of every arc, as one CSR structure whose weights change per batch."""

    def __init__(self, n_nodes: int, tails: I64, heads: I64) -> None:
        m = tails.shape[0]
        rows = np.concatenate([tails, heads])
        order = np.argsort(rows, kind="stable")
        self.n_nodes = n_nodes
        self.cols = np.concatenate([heads, tails])[order].astype(np.int32)
        self.indptr = np.zeros(n_nodes + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_nodes), out=self.indptr[1:])
        entry = np.empty(2 * m, dtype=np.int64)
        entry[order] = np.arange(2 * m, dtype=np.int64)
        self.forward_entry = entry[:m]
        self.backward_entry = entry[m:]
        self.arc_of_entry = np.concatenate([np.arange(m), np.arange(m)])[order]
        self.along_of_entry = order < m

    def weights(self, rc: I64, forward: Bools, backward: Bools) -> csr_matrix:
        """Residual network: ``rc`` along arcs with room, ``-rc`` back along arcs with flow."""
        data = np.full(self.cols.shape[0], np.inf)
        data[self.forward_entry[forward]] = rc[forward]
        data[self.backward_entry[backward]] = -rc[backward]
        return csr_matrix(
            (data, self.cols, self.indptr), shape=(self.n_nodes, self.n_nodes), copy=False
        )

    def arc(self, tail: int, head: int, weights: csr_matrix) -> tuple[int, bool]:
        """The arc behind the residual entry ``tail -> head`` that a search used (the
        cheapest such entry: parallel arcs are allowed), and whether it runs along it."""
        lo, hi = int(self.indptr[tail]), int(self.indptr[tail + 1])
        same = lo + np.flatnonzero(self.cols[lo:hi] == head)
        if same.shape[0] == 0:
            raise Infeasible("shortest path uses a missing arc (solver inconsistency)")
        at = int(same[np.argmin(weights.data[same])])
        return int(self.arc_of_entry[at]), bool(self.along_of_entry[at])
