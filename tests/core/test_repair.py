"""Adding arcs to an optimal flow and repairing it gives an optimal flow of the larger network."""

from __future__ import annotations

import numpy as np
import pytest
from ortools.graph.python import min_cost_flow

from tests.core.test_optimal import assert_pruned_rounds_are_exact
from welcomematch.core.errors import Infeasible
from welcomematch.core.flow import repair
from welcomematch.core.flow.network import potentials
from welcomematch.core.flow.repair import OptimalFlow
from welcomematch.core.flow.tuning import Tuning

Arr = np.ndarray


def solve(n: int, tails: Arr, heads: Arr, caps: Arr, costs: Arr, supplies: Arr) -> tuple[int, Arr]:
    """OR-Tools min-cost flow: (cost, flows), the independent reference."""
    smcf = min_cost_flow.SimpleMinCostFlow()
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    smcf.set_nodes_supplies(np.arange(n), supplies)
    assert smcf.solve() == smcf.OPTIMAL
    return smcf.optimal_cost(), np.asarray(smcf.flows(arcs), dtype=np.int64)


def assignment_network(
    rng: np.random.Generator, n_g: int, n_h: int, density: float
) -> tuple[int, tuple[Arr, Arr, Arr], tuple[Arr, Arr, Arr]]:
    """source -> group (capacity 1 or 2) -> household (random cost) -> sink: the node count,
    the fixed arcs (tails, heads, capacities) and the pair arcs (tails, heads, costs)."""
    source, sink = 0, 1
    groups = 2 + np.arange(n_g)
    households = 2 + n_g + np.arange(n_h)
    pairs = [(gi, hj) for gi in range(n_g) for hj in range(n_h) if rng.random() < density]
    pair_g = np.array([p[0] for p in pairs], dtype=np.int64)
    pair_h = np.array([p[1] for p in pairs], dtype=np.int64)
    fixed_t = np.concatenate([np.full(n_g, source), households])
    fixed_h = np.concatenate([groups, np.full(n_h, sink)])
    fixed_c = np.concatenate([rng.integers(1, 3, n_g), np.ones(n_h, np.int64)])
    pair_cost = rng.integers(0, 40, pair_g.shape[0]) * 1000 + rng.integers(0, 1000, pair_g.shape[0])
    return (
        2 + n_g + n_h,
        (fixed_t, fixed_h, fixed_c.astype(np.int64)),
        (groups[pair_g], households[pair_h], pair_cost.astype(np.int64)),
    )


def start_and_add(
    rng: np.random.Generator, n_g: int, n_h: int
) -> tuple[OptimalFlow, tuple[Arr, Arr, Arr], int, Arr]:
    """An optimal flow on the fixed arcs and some pair arcs, the remaining pair arcs to add,
    and the optimal cost of the whole network (all at the largest flow value the first
    arcs can carry, so that adding arcs never has to change the flow value)."""
    n, (ft, fh, fc), (pt, ph, pc) = assignment_network(rng, n_g, n_h, 0.5)
    m = pt.shape[0]
    first = rng.random(m) < 0.4
    t0 = np.concatenate([ft, pt[first]])
    h0 = np.concatenate([fh, ph[first]])
    c0 = np.concatenate([fc, np.ones(int(first.sum()), np.int64)])
    k0 = np.concatenate([np.zeros(ft.shape[0], np.int64), pc[first]])
    # The flow value: a maximum flow of the first arcs (with source/sink), found by
    # solving with a large supply on an extra return arc at a very negative cost.
    value = _max_flow(n, t0, h0, c0)
    supplies = np.zeros(n, np.int64)
    supplies[0], supplies[1] = value, -value
    _, flows0 = solve(n, t0, h0, c0, k0, supplies)
    all_t = np.concatenate([t0, pt[~first]])
    all_h = np.concatenate([h0, ph[~first]])
    all_c = np.concatenate([c0, np.ones(int((~first).sum()), np.int64)])
    all_k = np.concatenate([k0, pc[~first]])
    best, _ = solve(n, all_t, all_h, all_c, all_k, supplies)
    flow = OptimalFlow(n, t0, h0, c0, k0, flows0, potentials(n, t0, h0, k0, c0, flows0))
    return flow, (pt[~first], ph[~first], pc[~first]), best, supplies


def _max_flow(n: int, tails: np.ndarray, heads: np.ndarray, caps: np.ndarray) -> int:
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(
        tails, heads, caps, np.zeros(tails.shape[0], np.int64)
    )
    smcf.add_arc_with_capacity_and_unit_cost(1, 0, int(caps.sum()), -1)
    assert smcf.solve() == smcf.OPTIMAL
    return -int(smcf.optimal_cost())


def total_cost(flow: OptimalFlow) -> int:
    return int((flow.costs * flow.flows).sum())


def balance(flow: OptimalFlow) -> np.ndarray:
    out = np.bincount(flow.tails, weights=flow.flows, minlength=flow.n_nodes)
    into = np.bincount(flow.heads, weights=flow.flows, minlength=flow.n_nodes)
    return (out - into).astype(np.int64)


def test_adding_arcs_and_repairing_reaches_the_optimum_of_the_whole_network() -> None:
    rng = np.random.default_rng(20261129)
    pushed = kept = 0
    for _ in range(300):
        flow, (t, h, c), best, supplies = start_and_add(
            rng, int(rng.integers(2, 9)), int(rng.integers(2, 12))
        )
        before = flow.flows.copy()
        rc_new = c + flow.pot[t] - flow.pot[h]
        if flow.add(t, h, c):
            flow.check()
            assert total_cost(flow) == best
            assert (balance(flow) == supplies).all()
            changed = (flow.flows[: before.shape[0]] != before).any()
            pushed += bool(changed)
            kept += bool((rc_new < 0).any() and not changed)
        else:
            assert (rc_new < 0).sum() > 0  # it only gives up when there was work to do
    # Both outcomes of a violating arc were exercised: a cycle pushed, or potentials only.
    assert pushed > 20
    assert kept > 5


def test_parallel_arcs_use_the_cheaper_one() -> None:
    # 0 -> 1 twice (costs 5 and 9), 1 -> 2; then a cheap 0 -> 2 arc is added.
    n = 3
    t = np.array([0, 0, 1], np.int64)
    h = np.array([1, 1, 2], np.int64)
    caps = np.array([1, 1, 2], np.int64)
    costs = np.array([5, 9, 0], np.int64)
    supplies = np.array([2, 0, -2], np.int64)
    _, flows = solve(n, t, h, caps, costs, supplies)
    flow = OptimalFlow(n, t, h, caps, costs, flows, potentials(n, t, h, costs, caps, flows))
    assert flow.add(np.array([0]), np.array([2]), np.array([1]))
    flow.check()
    # The dearer parallel arc (9) gives way to the new arc (1): cost 5 + 1.
    assert flow.flows.tolist() == [1, 0, 1, 1]
    assert total_cost(flow) == 6


def test_gaps_beyond_exact_floating_point_are_left_to_the_solver() -> None:
    # 0 -> 1 -> 2 carries one unit at a huge cost; 0 -> 2 directly would save 2**53 - 1,
    # a gap float64 cannot search exactly, even beside an arc with a small gap (3 -> 4).
    n = 5
    t = np.array([0, 1, 3], np.int64)
    h = np.array([1, 2, 4], np.int64)
    caps = np.array([1, 1, 1], np.int64)
    costs = np.array([1 << 53, 0, 5], np.int64)
    flows = np.array([1, 1, 1], np.int64)
    pot = potentials(n, t, h, costs, caps, flows)
    flow = OptimalFlow(n, t, h, caps, costs, flows, pot)
    assert not flow.add(np.array([3, 0]), np.array([4, 2]), np.array([1, 1]))


def test_check_rejects_potentials_that_do_not_prove_optimality() -> None:
    n = 3
    t = np.array([0, 0, 1], np.int64)
    h = np.array([1, 2, 2], np.int64)
    caps = np.array([1, 1, 1], np.int64)
    costs = np.array([1, 10, 1], np.int64)
    # One unit along the dear direct arc: not optimal (0 -> 1 -> 2 costs 2).
    flows = np.array([0, 1, 0], np.int64)
    flow = OptimalFlow(n, t, h, caps, costs, flows, np.zeros(n, np.int64))
    with pytest.raises(Infeasible):
        flow.check()
    flow.flows = np.array([2, 0, 0], np.int64)  # above capacity
    with pytest.raises(Infeasible):
        flow.check()


@pytest.mark.parametrize("control_arm", [False, True])
def test_networks_certified_with_repairs_are_still_exact(
    monkeypatch: pytest.MonkeyPatch, control_arm: bool
) -> None:
    """Pruned to each participant's cheapest arc, every certification repairs what it can:
    the same objective as the unpruned network, which the ILP oracle tests pin down."""
    repaired = 0
    original = OptimalFlow.add

    def counting_add(self: OptimalFlow, *args: np.ndarray) -> bool:
        nonlocal repaired
        done = original(self, *args)
        repaired += done
        return done

    monkeypatch.setattr(repair.OptimalFlow, "add", counting_add)
    tuning = Tuning(prune_above=0, prune_k=1, repair_below=10_000)
    assert_pruned_rounds_are_exact(
        np.random.default_rng(1129 + control_arm), control_arm, 150, tuning
    )
    assert repaired > 30


def test_check_rejects_a_flow_that_changed_a_supply() -> None:
    n = 3
    t = np.array([0, 1], np.int64)
    h = np.array([1, 2], np.int64)
    flow = OptimalFlow(
        n,
        t,
        h,
        np.ones(2, np.int64),
        np.zeros(2, np.int64),
        np.ones(2, np.int64),
        np.zeros(n, np.int64),
    )
    flow.check()
    flow.flows = np.array([1, 0], np.int64)  # node 1 now keeps a unit
    with pytest.raises(Infeasible, match="supply"):
        flow.check()
