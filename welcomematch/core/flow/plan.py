"""Networks of a part: connected components, gathered into networks, solved by an executor.

Two participants are in the same *component* when a chain of eligible pairs links them. No
pair crosses components and every objective level is a sum over them, so the lexicographic
optimum is the union of the components' optima. Components are ordered by their smallest
group label and consecutive ones gathered into networks of at least ``tuning.network_arcs``
arcs; each network is solved (pruned and certified above ``tuning.prune_above`` arcs,
:mod:`welcomematch.core.flow.certify`) with participants and arcs ordered by label, so the
answer depends only on the pairs and the labels, never on the schedule: :func:`run_networks`
drives up to ``tuning.in_flight`` networks at once when the executor has a worker process
that solves flows beside this one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from typing import cast

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from welcomematch.core.eligibility import Candidates
from welcomematch.core.flow.certify import Solved, Steps, network_steps
from welcomematch.core.flow.network import FlowAnswer, solve_request
from welcomematch.core.flow.tuning import I32, I64, Ints, SolveStats, Tuning
from welcomematch.core.parallel import IN_PROCESS, Executor

__all__ = [
    "Job",
    "Networks",
    "Plan",
    "components",
    "plan_networks",
    "run_networks",
    "solve_networks",
]

Job = Callable[[], Steps]


def run_networks(jobs: list[Job], executor: Executor, tuning: Tuning) -> list[Solved]:
    """Drive every network's steps to its answer, starting the jobs in the given order.

    With a worker process, up to ``tuning.in_flight`` networks are open at once: while the
    worker solves one network's flow, this process builds or certifies another (and solves a
    queued flow itself when it has nothing else to do). Without one, the
    networks run one after the other. Each network's answer depends only on its own steps,
    so the schedule never changes the result. Returns the answers in job order.
    """
    limit = tuning.in_flight if executor.parallel else 1
    results: list[Solved | None] = [None] * len(jobs)
    waiting: dict[Future[FlowAnswer], tuple[int, Steps]] = {}
    ready: deque[tuple[int, Steps, FlowAnswer | None]] = deque()
    queue = deque(range(len(jobs)))
    while queue or waiting or ready:
        if ready:
            index, steps, answer = ready.popleft()
            try:
                request = next(steps) if answer is None else steps.send(answer)
            except StopIteration as stop:
                results[index] = cast(Solved, stop.value)
                continue
            future = executor.submit(solve_request, request)
            if future.done():
                ready.appendleft((index, steps, executor.result(future)))
            else:
                waiting[future] = (index, steps)
            continue
        if queue and len(waiting) < limit:
            index = queue.popleft()
            ready.append((index, jobs[index](), None))
            continue
        if executor.help():
            continue
        done, _ = wait(list(waiting), return_when=FIRST_COMPLETED)
        for future in done:
            index, steps = waiting.pop(future)
            ready.append((index, steps, executor.result(future)))
    return [cast(Solved, r) for r in results]


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


@dataclass(frozen=True)
class Plan:
    """A part's networks: jobs (largest first), their arc ranges in ``order``, and counts."""

    order: I64 | None  # None: the candidates' own order
    bounds: list[tuple[int, int]]
    jobs: list[Job]
    components: int


def plan_networks(
    candidates: Candidates,
    preference: Ints,
    n_g: int,
    n_h: int,
    *,
    control_arm: bool,
    tuning: Tuning,
) -> Plan:
    """Split the pairs into networks of whole components (no solving yet).

    The participants that ``candidates`` index are in label order (their positions are their
    lottery labels), and the candidates are sorted by (group, household).
    """
    label_g = np.arange(n_g, dtype=np.int64)
    label_h = np.arange(n_h, dtype=np.int64)
    m = len(candidates)
    if m == 0:
        return Plan(np.zeros(0, np.int64), [], [], 0)
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
        if acc >= tuning.network_arcs:
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
    # (group, household), which is label order, so grouping them by network (keeping their
    # order) sorts them inside each network too.
    net_by_rank = net_of_comp[comp_order]
    net_arcs = np.bincount(net_by_rank, weights=arc_count, minlength=n_net + 1).astype(np.int64)
    arc_end = np.cumsum(net_arcs)
    order: I64 | None = None
    if n_net > 1:
        order = _by_network(net_of_comp[comp_g][candidates.group], net_arcs[:n_net], arc_end)
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

    def job(a0: int, a1: int, g0: int, g1: int, h0: int, h1: int) -> Job:
        def start() -> Steps:
            arcs: I64 | slice = slice(a0, a1) if order is None else order[a0:a1]
            lg = rank_g32[candidates.group[arcs]]
            lg -= g0
            lh = rank_h32[candidates.household[arcs]]
            lh -= h0
            return network_steps(
                lg,
                lh,
                pref_all[arcs],
                candidates.distance_km[arcs],
                g1 - g0,
                h1 - h0,
                control_arm=control_arm,
                tuning=tuning,
            )

        return start

    return Plan(
        order, [(b[0], b[1]) for b in bounds], [job(*b) for b in bounds], int(with_arcs.shape[0])
    )


@dataclass(frozen=True)
class Networks:
    """The chosen pairs of :func:`solve_networks` and how they were reached."""

    chosen: I64  # candidate indices, ascending
    stats: SolveStats


def solve_networks(
    candidates: Candidates,
    preference: Ints,
    n_g: int,
    n_h: int,
    *,
    control_arm: bool,
    tuning: Tuning,
    executor: Executor,
) -> Networks:
    """Exact optimum over ``candidates``: every component's network solved and certified.

    The participants are in label order and ``candidates`` sorted by (group, household).
    Flows are solved through ``executor`` when there are at least
    ``tuning.solver_process_above`` candidates (in a worker process beside this one, if the
    executor has one), else here; the answer never depends on where they were solved.
    """
    if len(candidates) < tuning.solver_process_above:
        executor = IN_PROCESS
    executor.start()
    plan = plan_networks(candidates, preference, n_g, n_h, control_arm=control_arm, tuning=tuning)
    answers = run_networks(plan.jobs, executor, tuning)
    chosen = np.sort(
        np.concatenate(
            [
                (a0 + s.chosen if plan.order is None else plan.order[a0:a1][s.chosen])
                for (a0, a1), s in zip(plan.bounds, answers, strict=True)
            ]
            + [np.zeros(0, np.int64)]
        )
    ).astype(np.int64)
    return Networks(
        chosen,
        SolveStats(
            max((s.unit_km for s in answers), default=SolveStats().unit_km),
            any(s.pruned for s in answers),
            sum(s.solves for s in answers),
            plan.components,
            len(plan.jobs),
            sum(s.pruned for s in answers),
            tuning.prune_k,
        ),
    )
