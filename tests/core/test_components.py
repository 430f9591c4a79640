"""Solving by connected components: same optimum as the whole, exact with forced pruning."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.stats import chisquare

from tests.core.oracle import check_result, oracle_levels, result_levels
from tests.core.test_optimal import assert_levels_match, solve_whole
from welcomematch.core.eligibility import eligible_candidates
from welcomematch.core.engine import canonical_round, run_round
from welcomematch.core.flow.plan import components
from welcomematch.core.flow.tuning import Tuning
from welcomematch.core.generate import generate_round
from welcomematch.core.model import Group, Household, Parameters, Round

#: Every component a network of its own, every network pruned and certified.
EACH_PRUNED = Tuning(prune_above=0, network_arcs=1)


def towns(seed: int, *, control_arm: bool, groups: int = 40, households: int = 100) -> Round:
    """A round of several towns whose participants fall into many components."""
    return generate_round(
        groups=groups,
        households=households,
        cities=5,
        seed=seed,
        control_arm=control_arm,
        max_distance_km=1.5,
    )


def level_tuple(r: Round) -> tuple[int, int, int, float]:
    levels = result_levels(run_round(r))
    return (levels.pairs, levels.doubles, levels.preference_cost, levels.total_distance_km)


def test_components_are_those_of_the_whole_graph() -> None:
    for seed in range(10):
        r = canonical_round(towns(seed, control_arm=False, groups=200, households=600))
        c = eligible_candidates(r)
        n_g, n_h = len(r.groups), len(r.households)
        count, comp_g, comp_h = components(c, n_g, n_h)
        adjacency = csr_matrix(
            (np.ones(len(c)), (c.group, c.household.astype(np.int64) + n_g)),
            shape=(n_g + n_h, n_g + n_h),
        )
        want_count, want = connected_components(adjacency, directed=False)
        got = np.r_[comp_g, comp_h]
        assert count == want_count > 1
        # The same partition: the labels correspond one to one.
        pairs = set(zip(got.tolist(), want.tolist(), strict=True))
        assert len(pairs) == count


@pytest.mark.parametrize("control_arm", [False, True])
def test_multi_component_round_equals_its_components_solved_separately(
    control_arm: bool,
) -> None:
    for seed in range(8):
        r = canonical_round(towns(seed, control_arm=control_arm))
        c = eligible_candidates(r)
        n_g, n_h = len(r.groups), len(r.households)
        count, comp_g, comp_h = components(c, n_g, n_h)
        assert count > 2
        parts = []
        for k in range(count):
            gs = tuple(g for g, ck in zip(r.groups, comp_g.tolist(), strict=True) if ck == k)
            hs = tuple(h for h, ck in zip(r.households, comp_h.tolist(), strict=True) if ck == k)
            g_ids, h_ids = {g.id for g in gs}, {h.id for h in hs}
            part = Round(
                r.parameters,
                tuple(replace(g, exclude=g.exclude & h_ids) for g in gs),
                tuple(replace(h, exclude=h.exclude & g_ids) for h in hs),
            )
            parts.append(level_tuple(part))
        whole = level_tuple(r)
        assert whole[:3] == tuple(sum(p[i] for p in parts) for i in range(3))
        assert whole[3] == pytest.approx(sum(p[3] for p in parts), abs=1e-6)


@pytest.mark.parametrize("control_arm", [False, True])
def test_one_network_per_component_forced_pruning_matches_the_ilp(control_arm: bool) -> None:
    # network_arcs=1: every component is a network of its own; prune_above=0: every network
    # is pruned and certified.
    for seed in range(12):
        r = canonical_round(towns(100 + seed, control_arm=control_arm))
        split = solve_whole(r, EACH_PRUNED)
        stats, [part], [control] = split.stats, split.parts, split.control
        assert stats.networks == stats.components > 2
        assert stats.pruned_networks == stats.networks
        want = oracle_levels(r)
        assert part.group.shape[0] == want.pairs + (want.doubles if control_arm else 0)
        assert int((part.group_rank + part.household_rank).sum()) == want.preference_cost
        assert float(part.distance_km.sum()) == pytest.approx(want.total_distance_km, abs=1e-6)
        assert int((~control).sum()) == want.pairs
        if control_arm:
            assert int(control.sum()) == want.doubles


def test_whole_engine_on_towns_is_accepted_by_the_checker_and_the_ilp() -> None:
    for seed in range(6):
        for arm in (False, True):
            r = towns(200 + seed, control_arm=arm)
            res = run_round(r)
            check_result(r, res)
            assert_levels_match(result_levels(res), oracle_levels(r))


def test_same_seed_gives_identical_assignment_with_one_network_per_component() -> None:
    r = canonical_round(towns(7, control_arm=True))
    runs = [solve_whole(r, EACH_PRUNED) for _ in range(2)]
    for a, b in (
        (runs[0].parts[0].group, runs[1].parts[0].group),
        (runs[0].parts[0].household, runs[1].parts[0].household),
        (runs[0].control[0], runs[1].control[0]),
    ):
        assert np.array_equal(a, b)


def test_identical_households_win_equally_often_when_each_component_is_its_own_network() -> None:
    # Town A: one group, three identical households; town B (far away): a pair of its own.
    a = (52.37, 4.89)
    b = (51.92, 4.48)
    r = Round(
        Parameters(max_distance_km=5.0),
        (Group("GA", *a, 3, "x"), Group("GB", *b, 3, "x")),
        (
            Household("H1", *a, 0, "y"),
            Household("H2", *a, 0, "y"),
            Household("H3", *a, 0, "y"),
            Household("HB", *b, 0, "y"),
        ),
    )
    wins = np.zeros(3)
    for seed in range(600):
        seeded = replace(r, parameters=replace(r.parameters, seed=seed))
        out = solve_whole(seeded, Tuning(network_arcs=1))
        assert out.stats.networks == 2
        [part] = out.parts
        for i, j in zip(part.group.tolist(), part.household.tolist(), strict=True):
            if r.groups[i].id == "GA":
                wins[j] += 1
    assert wins.sum() == 600
    assert chisquare(wins).pvalue > 0.001
