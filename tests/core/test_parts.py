"""Large rounds are split into parts that no eligible pair crosses, solved in two processes."""

from __future__ import annotations

import os
import signal
from dataclasses import replace

import numpy as np
import pytest

from tests.core.oracle import check_result, distance_km, oracle_levels, result_levels
from tests.core.test_components import towns
from tests.core.test_parallel import _count_worker_calls
from welcomematch.core.eligibility import reach_counts, round_parts, sub_round
from welcomematch.core.engine import canonical_round, run_round
from welcomematch.core.errors import Infeasible
from welcomematch.core.flow.tuning import Tuning
from welcomematch.core.model import Group, Household, Parameters, Round
from welcomematch.core.optimal import PartsAssignment, solve_parts, worker_executor
from welcomematch.core.parallel import IN_PROCESS
from welcomematch.core.worker import Worker

# 0.01 degree of latitude is about 1.11 km.
KM = 1 / 111.195


def g(gid: str, km_north: float, **fields: object) -> Group:
    return Group(gid, 52.0 + km_north * KM, 5.0, 3, "seniors", **fields)  # type: ignore[arg-type]


def h(hid: str, km_north: float, **fields: object) -> Household:
    return Household(hid, 52.0 + km_north * KM, 5.0, 1, "single", **fields)  # type: ignore[arg-type]


#: Split every round into parts, one cluster per part (as for a national round).
SPLIT = Tuning(parts_above=0, part_combinations=1)


def split(r: Round, part_combinations: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
    return round_parts(r, parts_above=0, part_combinations=part_combinations)


def ids(r: Round, part: tuple[np.ndarray, np.ndarray]) -> tuple[list[str], list[str]]:
    groups, households = part
    return [r.groups[i].id for i in groups], [r.households[j].id for j in households]


def test_small_rounds_are_one_part_holding_everyone() -> None:
    r = Round(Parameters(), (g("G1", 0), g("G2", 100)), (h("H1", 0), h("H2", 100)))
    [(groups, households)] = round_parts(r)
    assert groups.tolist() == [0, 1]
    assert households.tolist() == [0, 1]
    assert sub_round(r, groups, households) is r


def test_towns_far_apart_are_separate_parts_largest_first() -> None:
    r = Round(
        Parameters(),
        (g("A1", 0), g("B1", 50), g("B2", 51), g("C1", 100), g("LONELY", 200)),
        (h("HA", 1), h("HB1", 50), h("HB2", 52), h("HC", 99)),
    )
    parts = [ids(r, p) for p in split(r)]
    # Town B (2 x 2) first, then A and C in the order of their first group; the lonely group
    # has nobody in range and is in no part.
    assert parts == [(["B1", "B2"], ["HB1", "HB2"]), (["A1"], ["HA"]), (["C1"], ["HC"])]


def test_a_household_between_two_groups_links_them_into_one_part() -> None:
    # G1 and G2 are 8 km apart (out of each other's range), H1 is within 5 km of both.
    r = Round(Parameters(), (g("G1", 0), g("G2", 8), g("G3", 30)), (h("H1", 4), h("H3", 30)))
    parts = [ids(r, p) for p in split(r)]
    assert parts == [(["G1", "G2"], ["H1"]), (["G3"], ["H3"])]


def test_clusters_are_gathered_into_parts_of_the_configured_size() -> None:
    r = Round(
        Parameters(),
        tuple(g(f"G{k}", 20 * k) for k in range(5)),
        tuple(h(f"H{k}", 20 * k) for k in range(5)),
    )
    # Five clusters of 1 x 1, in order of their first group, gathered while a part has
    # fewer than 2 groups x households.
    assert [ids(r, p)[0] for p in split(r, 2)] == [["G0", "G1"], ["G2", "G3"], ["G4"]]


def test_no_pair_in_range_crosses_two_parts() -> None:
    for seed in range(6):
        r = canonical_round(towns(seed, control_arm=False, groups=150, households=450))
        parts = split(r)
        assert len(parts) > 1
        part_of_g = np.full(len(r.groups), -1)
        part_of_h = np.full(len(r.households), -1)
        for p, (groups, households) in enumerate(parts):
            assert np.all(part_of_g[groups] == -1) and np.all(part_of_h[households] == -1)
            part_of_g[groups] = p
            part_of_h[households] = p
        for i, grp in enumerate(r.groups):
            for j, hh in enumerate(r.households):
                if distance_km(grp.lat, grp.lon, hh.lat, hh.lon) <= r.parameters.max_distance_km:
                    assert part_of_g[i] == part_of_h[j] >= 0, (grp.id, hh.id)


def test_sub_round_drops_exclusions_of_participants_outside_it() -> None:
    r = Round(
        Parameters(),
        (g("G1", 0, exclude=frozenset({"H1", "H2"})), g("G2", 50)),
        (h("H1", 0, exclude=frozenset({"G2"})), h("H2", 50)),
    )
    sub = sub_round(r, np.array([0]), np.array([0]))
    assert [x.id for x in sub.groups] == ["G1"]
    assert sub.groups[0].exclude == frozenset({"H1"})
    assert sub.households[0].exclude == frozenset()
    assert sub.parameters == r.parameters


@pytest.mark.parametrize("control_arm", [False, True])
def test_a_round_solved_in_parts_reaches_the_oracle_optimum_with_the_same_reasons(
    control_arm: bool,
) -> None:
    for seed in range(12):
        r = towns(40 + seed, control_arm=control_arm, groups=30, households=80)
        whole = run_round(r)
        parts = run_round(r, tuning=Tuning(parts_above=0, part_combinations=1 + seed % 3 * 40))
        check_result(r, parts)
        got, want, before = result_levels(parts), oracle_levels(r), result_levels(whole)
        for levels in (want, before):
            assert (got.pairs, got.doubles, got.preference_cost) == (
                levels.pairs,
                levels.doubles,
                levels.preference_cost,
            )
            assert got.total_distance_km == pytest.approx(levels.total_distance_km, abs=1e-6)
        assert parts.summary.eligible_pairs == whole.summary.eligible_pairs
        # Reach counts are those of the whole round for everyone, unmatched or not.
        counts = reach_counts(canonical_round(r))
        by_id = {u.id: u for u in parts.unmatched_households}
        for j, hh in enumerate(canonical_round(r).households):
            if hh.id in by_id:
                assert by_id[hh.id].eligible_partners == counts.household_eligible[j]


def _parts(r: Round) -> list[tuple[Round, np.ndarray, np.ndarray]]:
    return [(sub_round(r, gi, hj), gi, hj) for gi, hj in split(r)]


def _assigned(answer: PartsAssignment) -> list[tuple[list[int], list[int], list[bool]]]:
    return [
        (a.group.tolist(), a.household.tolist(), c.tolist())
        for a, c in zip(answer.parts, answer.control, strict=True)
    ]


@pytest.mark.parametrize("control_arm", [False, True])
def test_parts_shared_with_a_worker_process_give_the_identical_answer(
    control_arm: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_worker_calls(monkeypatch)
    r = canonical_round(towns(7, control_arm=control_arm, groups=200, households=600))
    parts = _parts(r)
    assert len(parts) > 3
    kwargs = {
        "n_groups": len(r.groups),
        "n_households": len(r.households),
        "seed": 11,
        "control_arm": control_arm,
        "tuning": Tuning(network_arcs=1, prune_above=0),
    }
    here = solve_parts(parts, executor=IN_PROCESS, **kwargs)  # type: ignore[arg-type]
    assert calls["n"] == 0
    with worker_executor() as executor:
        shared = solve_parts(parts, executor=executor, **kwargs)  # type: ignore[arg-type]
    assert calls["n"] > 0
    assert _assigned(shared) == _assigned(here)
    assert shared.solver == here.solver
    if control_arm:
        assert any(c.any() for c in here.control)


def test_a_part_the_worker_process_could_not_finish_is_solved_here(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_call = Worker.call

    def dies(self: Worker, function: object, argument: object) -> object:
        pid = real_call(self, _pid, None)
        os.kill(pid, signal.SIGKILL)
        return real_call(self, function, argument)  # type: ignore[arg-type]

    r = canonical_round(towns(8, control_arm=True, groups=200, households=600))
    parts = _parts(r)
    kwargs = {
        "n_groups": len(r.groups),
        "n_households": len(r.households),
        "seed": 3,
        "control_arm": True,
    }
    here = solve_parts(parts, **kwargs)  # type: ignore[arg-type]
    monkeypatch.setattr(Worker, "call", dies)
    with worker_executor() as executor:
        rescued = solve_parts(parts, executor=executor, **kwargs)  # type: ignore[arg-type]
    assert _assigned(rescued) == _assigned(here)


def _pid(_: object) -> int:
    return os.getpid()


def test_parts_and_their_shuffled_input_give_an_identical_result() -> None:
    r = towns(9, control_arm=True, groups=120, households=360)
    shuffled = replace(r, groups=r.groups[::-1], households=r.households[::-1])
    assert run_round(shuffled, tuning=SPLIT) == run_round(r, tuning=SPLIT)


def _fails(_: object) -> None:
    raise Infeasible("min-cost flow solver returned status 3")


def test_an_error_in_a_part_solved_by_the_worker_process_is_raised_here(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_call = Worker.call

    def failing(self: Worker, function: object, argument: object) -> object:
        return real_call(self, _fails, argument)

    monkeypatch.setattr(Worker, "call", failing)
    r = canonical_round(towns(5, control_arm=False, groups=200, households=600))
    with pytest.raises(Infeasible, match="status 3"), worker_executor() as executor:
        solve_parts(
            _parts(r),
            n_groups=len(r.groups),
            n_households=len(r.households),
            seed=1,
            control_arm=False,
            executor=executor,
        )


@pytest.mark.parametrize("control_arm", [False, True])
def test_a_part_solved_as_several_networks_reaches_the_oracle_optimum(control_arm: bool) -> None:
    """A part handed over in label order and split into several networks (its arcs grouped
    by network without a sort) is solved to the exact optimum, pruned or not."""
    for seed in range(8):
        r = canonical_round(towns(60 + seed, control_arm=control_arm, groups=30, households=80))
        want = oracle_levels(r)
        whole = [(r, np.arange(len(r.groups)), np.arange(len(r.households)))]
        for prune_above in (0, 10**9):
            answer = solve_parts(
                whole,
                n_groups=len(r.groups),
                n_households=len(r.households),
                seed=seed,
                control_arm=control_arm,
                tuning=Tuning(network_arcs=1 + seed % 3 * 10, prune_above=prune_above),
            )
            [part] = answer.parts
            [control] = answer.control
            assert answer.stats.networks > 1
            assert int((~control).sum()) == want.pairs
            assert int(control.sum()) == want.doubles
            assert int((part.group_rank + part.household_rank).sum()) == want.preference_cost
            assert float(part.distance_km.sum()) == pytest.approx(want.total_distance_km, abs=1e-6)
            # Pairs are sorted by (group, household) in the part's own order.
            keys = part.group * len(r.households) + part.household
            assert (np.diff(keys) > 0).all()
