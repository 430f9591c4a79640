"""The optimal mechanism: hand-worked lexicographic answers, an exact ILP cross-check, fairness."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chisquare

from tests.core.oracle import Levels, check_result, oracle_levels, result_levels
from welcomematch.core.eligibility import eligible_candidates
from welcomematch.core.engine import canonical_round, run_round
from welcomematch.core.flow.cardinality import max_assignment
from welcomematch.core.flow.costs import cost_scale, lowest_levels, pair_costs, pair_ranks
from welcomematch.core.flow.tuning import DEFAULT_TUNING, Tuning
from welcomematch.core.model import Group, Household, Mechanism, Parameters, Round
from welcomematch.core.optimal import PartsAssignment, solve_parts
from welcomematch.core.parallel import IN_PROCESS, Executor

TOWN = (52.37, 4.89)


def g(
    gid: str,
    dlat: float = 0.0,
    *,
    capacity: int = 3,
    type: str = "mixed",
    ranking: tuple[str, ...] = (),
) -> Group:
    return Group(gid, TOWN[0] + dlat, TOWN[1], capacity, type, ranking)


def h(
    hid: str,
    dlat: float = 0.0,
    *,
    vulnerability: int = 0,
    type: str = "couple",
    ranking: tuple[str, ...] = (),
) -> Household:
    return Household(hid, TOWN[0] + dlat, TOWN[1], vulnerability, type, ranking)


def rnd(
    groups: list[Group], households: list[Household], *, control_arm: bool = False, seed: int = 0
) -> Round:
    return Round(
        Parameters(max_distance_km=5.0, control_arm=control_arm, seed=seed),
        tuple(groups),
        tuple(households),
    )


def matches(round: Round) -> list[tuple[str, str]]:
    return [(p.group, p.household) for p in run_round(round).matches]


# --- hand-worked lexicographic answers -------------------------------------------------


def test_more_pairs_beat_better_preferences() -> None:
    # G1 prefers H1 (cost 0) but taking it would leave G2 (who can only take H1) unmatched.
    r = rnd(
        [g("G1", type="a", ranking=("single",)), g("G2", capacity=1, type="a")],
        [h("H1", vulnerability=0, type="single"), h("H2", vulnerability=2, type="couple")],
    )
    assert matches(r) == [("G1", "H2"), ("G2", "H1")]


def test_better_preferences_beat_shorter_distances() -> None:
    # 0.01 degree of latitude is about 1.1 km.
    r = rnd([g("G1", ranking=("family", "couple"))], [h("H1", 0.0), h("H2", 0.03, type="family")])
    assert matches(r) == [("G1", "H2")]


def test_household_preference_counts_like_group_preference() -> None:
    r = rnd(
        [g("G1", type="young", ranking=("family", "couple"))],
        [
            h("H1", type="family", ranking=("old", "young")),
            h("H2", type="couple", ranking=("young",)),
        ],
    )
    # H1: 0 + 1 = 1, H2: 1 + 0 = 1: a tie on preference, so distance decides (equal: lottery);
    # make H2 nearer by placing H1 away.
    r = rnd(
        [g("G1", type="young", ranking=("family", "couple"))],
        [
            h("H1", 0.02, type="family", ranking=("old", "young")),
            h("H2", 0.01, type="couple", ranking=("young",)),
        ],
    )
    assert matches(r) == [("G1", "H2")]


def test_shorter_total_distance_wins_when_preferences_tie() -> None:
    r = rnd([g("G1", 0.0), g("G2", 0.02)], [h("H1", 0.0), h("H2", 0.02)])
    assert matches(r) == [("G1", "H1"), ("G2", "H2")]


def test_control_arm_covers_more_groups_before_giving_anyone_two() -> None:
    # Two households, both liked best by G1; G2 can take either. Coverage first: one each.
    r = rnd(
        [g("G1", ranking=("couple",)), g("G2", ranking=("family",))],
        [h("H1"), h("H2")],
        control_arm=True,
    )
    res = run_round(r)
    assert {p.group for p in res.matches} == {"G1", "G2"}
    assert res.controls == ()


def test_control_arm_gives_as_many_groups_two_as_possible_before_preferences() -> None:
    # G1 and G2 are both covered either way; G2 can take two only if G1 takes its worse choice.
    r = rnd(
        [
            g("G1", capacity=1, type="a", ranking=("couple", "family")),
            g("G2", capacity=1, type="a"),
        ],
        [
            h("H1", 0.001, vulnerability=1, type="couple"),
            h("H2", type="couple"),
            h("H3", type="family"),
        ],
        control_arm=True,
    )
    res = run_round(r)
    check_result(r, res)
    assert len(res.matches) == 2 and len(res.controls) == 1
    assigned = {(p.group, p.household) for p in (*res.matches, *res.controls)}
    # Whichever two G2 gets, the three households are all used.
    assert {hh for _, hh in assigned} == {"H1", "H2", "H3"}


def test_control_arm_minimises_preference_cost_over_all_assigned_pairs() -> None:
    r = rnd(
        [g("G1", ranking=("couple", "family", "single"))],
        [h("H1", type="single"), h("H2", type="family"), h("H3", type="couple")],
        control_arm=True,
    )
    res = run_round(r)
    assert sorted(p.household for p in (*res.matches, *res.controls)) == ["H2", "H3"]
    assert res.summary.preference_cost == 0 + 1


# --- the exact ILP cross-check ---------------------------------------------------------


def random_round(rng: np.random.Generator, *, control_arm: bool) -> Round:
    n_g = int(rng.integers(2, 9))
    n_h = int(rng.integers(2, 13))
    g_types, h_types = ("a", "b", "c"), ("x", "y", "z", "w")
    points = [(52.0 + rng.normal(0, 0.03), 5.0 + rng.normal(0, 0.04)) for _ in range(4)]

    def point() -> tuple[float, float]:
        if rng.random() < 0.5:  # shared postcode points: many exact distance ties
            lat, lon = points[int(rng.integers(0, len(points)))]
            return float(lat), float(lon)
        return float(52.0 + rng.normal(0, 0.03)), float(5.0 + rng.normal(0, 0.04))

    def ranking(types: tuple[str, ...]) -> tuple[str, ...]:
        k = int(rng.integers(0, len(types) + 1))
        return tuple(str(t) for t in rng.permutation(types)[:k])

    groups = []
    for i in range(n_g):
        lat, lon = point()
        excl = frozenset(f"H{j}" for j in range(n_h) if rng.random() < 0.08)
        groups.append(
            Group(
                f"G{i}",
                lat,
                lon,
                int(rng.integers(0, 4)),
                str(rng.choice(g_types)),
                ranking(h_types),
                excl,
            )
        )
    households = []
    for j in range(n_h):
        lat, lon = point()
        excl = frozenset(f"G{i}" for i in range(n_g) if rng.random() < 0.08)
        households.append(
            Household(
                f"H{j}",
                lat,
                lon,
                int(rng.integers(0, 4)),
                str(rng.choice(h_types)),
                ranking(g_types),
                excl,
            )
        )
    return Round(
        Parameters(
            max_distance_km=float(rng.choice([3.0, 5.0, 8.0])),
            control_arm=control_arm,
            seed=int(rng.integers(0, 1000)),
        ),
        tuple(groups),
        tuple(households),
    )


def assert_levels_match(got: Levels, want: Levels) -> None:
    assert (got.pairs, got.doubles, got.preference_cost) == (
        want.pairs,
        want.doubles,
        want.preference_cost,
    )
    assert got.total_distance_km == pytest.approx(want.total_distance_km, abs=1e-6)


@pytest.mark.parametrize("control_arm", [False, True])
def test_every_objective_level_equals_an_exact_ilp_on_random_small_rounds(
    control_arm: bool,
) -> None:
    rng = np.random.default_rng(2020 + control_arm)
    for _ in range(300):
        r = random_round(rng, control_arm=control_arm)
        res = run_round(r)
        check_result(r, res)
        assert_levels_match(result_levels(res), oracle_levels(r))


def solve_whole(
    r: Round, tuning: Tuning = DEFAULT_TUNING, executor: Executor = IN_PROCESS
) -> PartsAssignment:
    """A canonical round solved as one part, through the mechanism's entry point."""
    return solve_parts(
        [(r, np.arange(len(r.groups)), np.arange(len(r.households)))],
        n_groups=len(r.groups),
        n_households=len(r.households),
        seed=r.parameters.seed,
        control_arm=r.parameters.control_arm,
        tuning=tuning,
        executor=executor,
    )


def integer_objective(r: Round, answer: PartsAssignment) -> int:
    """The answer's total integer cost, on one scale fixed by all eligible pairs of ``r``."""
    c = eligible_candidates(r)
    gr, hr = pair_ranks(r, c)
    if len(c) == 0:
        return 0
    unit, weight = cost_scale(
        int((gr + hr).max()), float(c.distance_km.max()), max_pairs=len(r.households), n_nodes=1
    )
    [part] = answer.parts
    return int(
        pair_costs(part.group_rank + part.household_rank, part.distance_km, unit, weight).sum()
    )


def assert_pruned_rounds_are_exact(
    rng: np.random.Generator, control_arm: bool, rounds: int, tuning: Tuning | None = None
) -> None:
    """``prune_above=0`` forces the pruned path (k cheapest arcs + certification) on random
    rounds: the same number of assigned pairs and the same integer objective as unpruned."""
    pruning = tuning or Tuning(prune_above=0)
    for _ in range(rounds):
        r = canonical_round(random_round(rng, control_arm=control_arm))
        full = solve_whole(r)
        pruned = solve_whole(r, pruning)
        [pruned_part], [full_part] = pruned.parts, full.parts
        assert pruned.stats.pruned or full_part.eligible_pairs == 0
        assert pruned_part.group.shape == full_part.group.shape
        assert integer_objective(r, pruned) == integer_objective(r, full)
        assert (~pruned.control[0]).sum() == (~full.control[0]).sum()


@pytest.mark.parametrize("control_arm", [False, True])
def test_pruned_network_certified_by_reduced_costs_is_still_exact(control_arm: bool) -> None:
    assert_pruned_rounds_are_exact(np.random.default_rng(77 + control_arm), control_arm, 120)


def test_denser_rounds_with_many_candidates_match_the_ilp() -> None:
    rng = np.random.default_rng(5)
    for control_arm in (False, True):
        for _ in range(4):
            groups = tuple(
                Group(
                    f"G{i:02d}",
                    52.0 + rng.normal(0, 0.01),
                    5.0 + rng.normal(0, 0.01),
                    int(rng.integers(0, 4)),
                    "t",
                    ("x", "y")[: int(rng.integers(0, 3))],
                )
                for i in range(15)
            )
            households = tuple(
                Household(
                    f"H{j:02d}",
                    52.0 + rng.normal(0, 0.01),
                    5.0 + rng.normal(0, 0.01),
                    int(rng.integers(0, 4)),
                    str(rng.choice(["x", "y", "z"])),
                )
                for j in range(35)
            )
            r = Round(Parameters(control_arm=control_arm, seed=3), groups, households)
            res = run_round(r)
            check_result(r, res)
            assert_levels_match(result_levels(res), oracle_levels(r))


# --- the lottery: fairness across seeds ------------------------------------------------


def test_identical_households_each_win_a_single_group_a_third_of_the_time() -> None:
    counts = {"H1": 0, "H2": 0, "H3": 0}
    n = 600
    for seed in range(n):
        r = rnd([g("G1")], [h("H1"), h("H2"), h("H3")], seed=seed)
        (pair,) = run_round(r).matches
        counts[pair.household] += 1
    assert chisquare(list(counts.values())).pvalue > 0.001


def test_identical_groups_each_win_a_single_household_a_third_of_the_time() -> None:
    counts = {"G1": 0, "G2": 0, "G3": 0}
    n = 600
    for seed in range(n):
        r = rnd([g("G1"), g("G2"), g("G3")], [h("H1")], seed=seed)
        (pair,) = run_round(r).matches
        counts[pair.group] += 1
    assert chisquare(list(counts.values())).pvalue > 0.001


def test_treatment_or_control_is_a_fair_coin() -> None:
    n = 600
    treated_h1 = 0
    for seed in range(n):
        r = rnd([g("G1")], [h("H1"), h("H2")], control_arm=True, seed=seed)
        res = run_round(r)
        assert len(res.matches) == 1 and len(res.controls) == 1
        treated_h1 += res.matches[0].household == "H1"
    assert chisquare([treated_h1, n - treated_h1]).pvalue > 0.001


def test_lottery_does_not_favour_earlier_households_in_the_file() -> None:
    # Six identical households for two groups: every household is chosen with equal chance.
    counts = dict.fromkeys(("H1", "H2", "H3", "H4", "H5", "H6"), 0)
    for seed in range(500):
        r = rnd([g("G1"), g("G2")], [h(k) for k in counts], seed=seed)
        for p in run_round(r).matches:
            counts[p.household] += 1
    assert chisquare(list(counts.values())).pvalue > 0.001


def test_different_seeds_can_give_different_matchings_among_ties() -> None:
    results = {
        tuple(matches(rnd([g("G1")], [h("H1"), h("H2"), h("H3")], seed=s))) for s in range(20)
    }
    assert len(results) == 3


def test_stable_mechanism_is_not_affected_by_the_optimal_lottery() -> None:
    r = Round(Parameters(mechanism=Mechanism.STABLE, seed=1), (g("G1"),), (h("H1"),))
    assert [(p.group, p.household) for p in run_round(r).matches] == [("G1", "H1")]


def test_lowest_levels_keeps_every_nodes_k_cheapest_arcs() -> None:
    rng = np.random.default_rng(11)
    for _ in range(50):
        m, n_nodes, k = int(rng.integers(1, 400)), int(rng.integers(1, 30)), int(rng.integers(1, 8))
        node = rng.integers(0, n_nodes, m).astype(np.int64)
        level = rng.integers(0, 6, m).astype(np.int32)
        kept = set(lowest_levels(node, level, k, n_nodes).tolist())
        for v in range(n_nodes):
            arcs = np.flatnonzero(node == v)
            if arcs.shape[0] == 0:
                continue
            # The k-th smallest level of the node: every arc at or below it is kept ...
            kth = np.sort(level[arcs])[min(k, arcs.shape[0]) - 1]
            assert {int(a) for a in arcs if level[a] <= kth} <= kept
            # ... and nothing above it.
            assert not {int(a) for a in arcs if level[a] > kth} & kept


def _ranks_by_definition(r: Round, group: int, household: int) -> tuple[int, int]:
    g, h = r.groups[group], r.households[household]
    rank_g = g.ranking.index(h.type) if h.type in g.ranking else len(g.ranking)
    rank_h = h.ranking.index(g.type) if g.type in h.ranking else len(h.ranking)
    return rank_g, rank_h


@pytest.mark.parametrize("threaded", [False, True])
def test_pair_ranks_follow_the_definition_in_a_narrow_type(threaded: bool) -> None:
    # threaded: four blocks on two threads, as for national rounds
    tuning = Tuning(threaded_ranks_above=1 if threaded else 10**9)
    rng = np.random.default_rng(3)
    for _ in range(20):
        r = canonical_round(random_round(rng, control_arm=False))
        c = eligible_candidates(r)
        gr, hr = pair_ranks(r, c, tuning)
        assert gr.dtype == hr.dtype == np.int8
        got = list(zip(gr.tolist(), hr.tolist(), strict=True))
        want = [
            _ranks_by_definition(r, i, j)
            for i, j in zip(c.group.tolist(), c.household.tolist(), strict=True)
        ]
        assert got == want


def test_pair_ranks_widen_when_rankings_are_long() -> None:
    # 100 household categories: ranks up to 100 and their sums up to 200 need int16.
    categories = tuple(f"t{k:03d}" for k in range(100))
    groups = (Group("G1", 52.0, 5.0, 3, "a", categories[:-1], frozenset()),)
    households = (
        Household("H1", 52.0, 5.0, 0, "t099", (), frozenset()),
        Household("H2", 52.0, 5.0, 0, "t098", (), frozenset()),
    )
    r = Round(Parameters(), groups, households)
    c = eligible_candidates(r)
    gr, hr = pair_ranks(r, c)
    assert gr.dtype == np.int16
    assert gr.tolist() == [99, 98] and hr.tolist() == [0, 0]
    assert (gr + hr).tolist() == [99, 98]


@pytest.mark.parametrize("copies", [1, 2])
def test_maximum_assignment_from_a_subset_is_maximum_for_the_whole_graph(copies: int) -> None:
    """A subset's maximum assignment is kept only when König's set proves it maximum for all
    arcs; otherwise the whole graph is searched. Either way: a maximum assignment."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import maximum_bipartite_matching

    rng = np.random.default_rng(31 + copies)
    kept_subset = searched_all = 0
    for _ in range(300):
        n_g, n_h = int(rng.integers(1, 12)), int(rng.integers(1, 14))
        dense = rng.random((n_g, n_h)) < rng.uniform(0.1, 0.6)
        lg, lh = (a.astype(np.int32) for a in np.nonzero(dense))  # sorted by (group, household)
        if lg.shape[0] == 0:
            continue
        first = np.flatnonzero(rng.random(lg.shape[0]) < 0.5)
        rows = np.repeat(dense, copies, axis=0)  # group g's copies are rows g*copies + c
        want = int((maximum_bipartite_matching(csr_matrix(rows), perm_type="column") >= 0).sum())
        sub = np.zeros_like(dense)
        sub[lg[first], lh[first]] = True
        sub_max = int(
            (
                maximum_bipartite_matching(
                    csr_matrix(np.repeat(sub, copies, 0)), perm_type="column"
                )
                >= 0
            ).sum()
        )
        value, arcs = max_assignment(lg, lh, n_g, n_h, copies, first, bound=10**9)
        assert value == want == arcs.shape[0]
        assert np.unique(lh[arcs]).shape[0] == value  # each household at most once
        assert np.bincount(lg[arcs], minlength=n_g).max() <= copies
        kept_subset += sub_max == want and np.isin(arcs, first).all()
        searched_all += sub_max < want
    assert kept_subset > 50
    assert searched_all > 20
