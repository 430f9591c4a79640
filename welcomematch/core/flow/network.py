"""The flow network of the optimal mechanism, one min-cost flow, and node potentials.

Network (labels ``0..n_g-1`` and ``0..n_h-1``): ``source -> group`` (capacity 1, the first
slot), ``group -> household`` per eligible pair (capacity 1, the pair's integer cost),
``household -> sink`` (capacity 1); with control arm also ``source -> B`` (capacity
``T - M1``) and ``B -> group`` (capacity 1, the second slots). A flow of value ``M1``
(``T`` with control arm), the maximum assignment size, of least cost is the lexicographic
optimum (see :mod:`welcomematch.core.optimal`).

*Potentials* are shortest-path distances from a virtual root in the residual network of an
optimal flow (Bellman–Ford): under them every residual arc has a non-negative reduced cost
``cost + pot[tail] - pot[head]``, which is the optimality certificate the pruning relies on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from welcomematch.core.errors import Infeasible
from welcomematch.core.flow.tuning import I32, I64, Bools, Ints

__all__ = ["FlowAnswer", "FlowRequest", "Network", "all_arcs", "potentials", "solve_request"]


@dataclass
class Network:
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
class FlowRequest:
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

    def network(self) -> Network:
        return Network(self.n_g, self.n_h, self.flow_value, self.second_slots)


@dataclass(frozen=True)
class FlowAnswer:
    """The flow on every arc of the request's network (fixed arcs first, then pair arcs)."""

    flows: I64

    def used(self, request: FlowRequest) -> Bools:
        """Which of the request's pair arcs carry flow."""
        return self.flows[self.flows.shape[0] - request.lg.shape[0] :] > 0


def solve_request(request: FlowRequest) -> FlowAnswer:
    """Solve one flow request (here or in a worker process: the same answer)."""
    return FlowAnswer(_solve_flow(request.network(), request.lg, request.lh, request.cost))


def all_arcs(net: Network, lg: Ints, lh: Ints, cost: I64) -> tuple[I64, I64, I64, I64]:
    """Every arc of the network: (tails, heads, capacities, costs), fixed arcs first."""
    ft, fh, fc, fk = net.fixed_arcs()
    tails = np.concatenate([ft, net.group_node(lg.astype(np.int64))])
    heads = np.concatenate([fh, net.household_node(lh.astype(np.int64))])
    caps = np.concatenate([fc, np.ones(lg.shape[0], np.int64)])
    costs = np.concatenate([fk, cost])
    return tails, heads, caps, costs


def _solve_flow(net: Network, lg: Ints, lh: Ints, cost: I64) -> I64:
    """Min-cost flow of value ``net.flow_value`` on the given pair arcs: flow on every arc."""
    tails, heads, caps, costs = all_arcs(net, lg, lh, cost)
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


def potentials(n_nodes: int, tails: I64, heads: I64, costs: I64, caps: I64, flows: I64) -> I64:
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
