"""The shipped checker: engine results pass, every kind of broken result is caught first-hand,
and its optimality verdict agrees with the independent ILP oracle (tests/core/oracle.py)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from tests.core.oracle import distance_km, oracle_levels, rank
from tests.core.test_components import towns
from tests.core.test_optimal import random_round
from welcomematch.core.engine import run_round
from welcomematch.core.generate import generate_round
from welcomematch.core.model import (
    Group,
    Household,
    Mechanism,
    Pair,
    Parameters,
    Result,
    Round,
    Summary,
    Unmatched,
    UnmatchedReason,
)
from welcomematch.core.roundfile import dumps_result, loads_result
from welcomematch.core.verify import VALID_AND_OPTIMAL, VALID_AND_STABLE, first_violation, verdict

KM = 1 / 111.195  # degrees of latitude per km


def g(gid: str, km: float = 0.0, capacity: int = 3, ranking: tuple[str, ...] = ()) -> Group:
    return Group(gid, 52.0 + km * KM, 5.0, capacity, "mixed", ranking)


def h(hid: str, km: float = 0.0, vulnerability: int = 0, type: str = "couple") -> Household:
    return Household(hid, 52.0 + km * KM, 5.0, vulnerability, type, ())


def build(r: Round, matches: list[tuple[str, str]], controls: list[tuple[str, str]] = ()) -> Result:
    """A result for the given pairs with everything else right, derived by brute force."""
    groups = {x.id: x for x in r.groups}
    households = {x.id: x for x in r.households}

    def pair(gid: str, hid: str) -> Pair:
        gg, hh = groups[gid], households[hid]
        return Pair(
            gid,
            hid,
            round(distance_km(gg.lat, gg.lon, hh.lat, hh.lon), 3),
            rank(gg.ranking, hh.type),
            rank(hh.ranking, gg.type),
        )

    def unmatched(ident: str, side: str) -> Unmatched:
        in_range = ok = eligible = 0
        for other in r.households if side == "g" else r.groups:
            gg, hh = (groups[ident], other) if side == "g" else (other, households[ident])
            if distance_km(gg.lat, gg.lon, hh.lat, hh.lon) <= r.parameters.max_distance_km:
                in_range += 1
                if hh.vulnerability <= gg.capacity:
                    ok += 1
                    eligible += hh.id not in gg.exclude and gg.id not in hh.exclude
        reason = (
            UnmatchedReason.NO_PARTNER_IN_RANGE
            if not in_range
            else UnmatchedReason.VULNERABILITY
            if not ok
            else UnmatchedReason.EXCLUDED
            if not eligible
            else UnmatchedReason.PARTNERS_TAKEN
        )
        return Unmatched(ident, reason, eligible)

    m = tuple(pair(a, b) for a, b in sorted(matches))
    c = tuple(pair(a, b) for a, b in sorted(controls))
    used = {p.household for p in (*m, *c)}
    n_eligible = sum(
        distance_km(gg.lat, gg.lon, hh.lat, hh.lon) <= r.parameters.max_distance_km
        and hh.vulnerability <= gg.capacity
        and hh.id not in gg.exclude
        and gg.id not in hh.exclude
        for gg in r.groups
        for hh in r.households
    )
    return Result(
        r.parameters,
        m,
        c,
        tuple(unmatched(x, "g") for x in sorted(groups) if x not in {p.group for p in m}),
        tuple(unmatched(x, "h") for x in sorted(households) if x not in used),
        Summary(
            len(r.groups),
            len(r.households),
            n_eligible,
            len(m),
            len(c),
            sum(p.group_rank + p.household_rank for p in (*m, *c)),
            math.fsum(p.distance_km for p in (*m, *c)),
            "by hand",
            "test",
        ),
    )


def rule(r: Round, result: Result) -> str | None:
    found = first_violation(r, result)
    return None if found is None else found.rule


# --- engine results pass ---------------------------------------------------------------


def test_engine_results_of_random_rounds_are_valid_and_optimal_after_a_round_trip() -> None:
    rng = np.random.default_rng(404)
    for k in range(120):
        r = random_round(rng, control_arm=k % 2 == 1)
        result = loads_result(dumps_result(run_round(r)))  # distances rounded as in a file
        assert verdict(r, result) == VALID_AND_OPTIMAL, r


@pytest.mark.parametrize("control_arm", [False, True])
def test_engine_results_of_larger_rounds_with_many_components_pass(control_arm: bool) -> None:
    for seed in range(3):
        r = towns(500 + seed, control_arm=control_arm, groups=300, households=900)
        assert verdict(r, run_round(r)) == VALID_AND_OPTIMAL
    r = generate_round(groups=150, households=450, cities=1, seed=8, control_arm=control_arm)
    assert verdict(r, run_round(r)) == VALID_AND_OPTIMAL


def test_stable_results_pass_as_stable() -> None:
    for seed in range(4):
        r = generate_round(
            groups=40, households=100, cities=1, seed=seed, mechanism=Mechanism.STABLE
        )
        assert verdict(r, run_round(r)) == VALID_AND_STABLE


# --- the optimality verdict agrees with the ILP oracle ---------------------------------


def _greedy(r: Round, rng: np.random.Generator) -> Result:
    """A random maximal assignment: valid, optimal only by luck."""
    pairs = [
        (gg.id, hh.id)
        for gg in r.groups
        for hh in r.households
        if distance_km(gg.lat, gg.lon, hh.lat, hh.lon) <= r.parameters.max_distance_km
        and hh.vulnerability <= gg.capacity
        and hh.id not in gg.exclude
        and gg.id not in hh.exclude
    ]
    rng.shuffle(pairs)
    taken: dict[str, int] = {}
    used: set[str] = set()
    matches, controls = [], []
    slots = 2 if r.parameters.control_arm else 1
    for gid, hid in pairs:
        if hid in used or taken.get(gid, 0) >= slots:
            continue
        (controls if taken.get(gid, 0) else matches).append((gid, hid))
        taken[gid] = taken.get(gid, 0) + 1
        used.add(hid)
    return build(r, matches, controls)


@pytest.mark.parametrize("control_arm", [False, True])
def test_optimal_exactly_when_every_level_equals_the_ilp_optimum(control_arm: bool) -> None:
    rng = np.random.default_rng(77 + control_arm)
    caught = passed = 0
    for _ in range(150):
        r = random_round(rng, control_arm=control_arm)
        result = _greedy(r, rng)
        want = oracle_levels(r)
        assigned = (*result.matches, *result.controls)
        optimal = (
            len(result.matches) == want.pairs
            and len(result.controls) == want.doubles
            and sum(p.group_rank + p.household_rank for p in assigned) == want.preference_cost
            and math.fsum(
                distance_km(
                    *next((x.lat, x.lon) for x in r.groups if x.id == p.group),
                    *next((x.lat, x.lon) for x in r.households if x.id == p.household),
                )
                for p in assigned
            )
            <= want.total_distance_km + 1e-6
        )
        found = first_violation(r, result)
        assert (found is None) == optimal, (found, want)
        assert found is None or found.rule == "not optimal"
        caught += found is not None
        passed += found is None
    assert caught > 20 and passed > 20


# --- each kind of violation, hand-worked -------------------------------------------------

R = Round(
    Parameters(max_distance_km=5.0),
    (g("G1", 0, ranking=("family", "couple")), g("G2", 1, capacity=0)),
    (h("H1", 0), h("H2", 1, vulnerability=1, type="family"), h("H3", 20)),
)
ARM = replace(R, parameters=Parameters(max_distance_km=5.0, control_arm=True))


def test_the_hand_worked_optimum_passes() -> None:
    # G2 (capacity 0) can take only H1; G1 prefers H2 (family) anyway: G1-H2, G2-H1.
    assert verdict(R, build(R, [("G1", "H2"), ("G2", "H1")])) == VALID_AND_OPTIMAL


@pytest.mark.parametrize(
    ("result", "rule_name", "words"),
    [
        (
            replace(build(R, [("G1", "H2"), ("G2", "H1")]), parameters=Parameters(6.0)),
            "parameters",
            "differ",
        ),
        (build(R, [("G1", "H3"), ("G2", "H1")]), "not eligible", "more than 5 km"),
        (
            build(R, [("G1", "H1"), ("G2", "H2")]),
            "not eligible",
            "vulnerability 1 above capacity 0",
        ),
    ],
)
def test_each_broken_rule_is_named(result: Result, rule_name: str, words: str) -> None:
    found = first_violation(R, result)
    assert found is not None and found.rule == rule_name and words in found.message


def _pair_changed(**fields: object) -> Result:
    good = build(R, [("G1", "H2"), ("G2", "H1")])
    return replace(good, matches=(replace(good.matches[0], **fields), good.matches[1]))


def test_an_excluded_pair_is_not_eligible() -> None:
    excluding = replace(R, groups=(replace(R.groups[0], exclude=frozenset({"H2"})), R.groups[1]))
    found = first_violation(excluding, build(excluding, [("G1", "H2"), ("G2", "H1")]))
    assert found is not None and found.rule == "not eligible" and "excluded" in found.message


def test_unknown_participants_wrong_distances_and_ranks_are_named() -> None:
    assert rule(R, _pair_changed(group="G9")) == "unknown participant"
    assert rule(R, _pair_changed(distance_km=0.5)) == "wrong distance"
    assert rule(R, _pair_changed(group_rank=1)) == "wrong rank"


def test_capacities_are_checked() -> None:
    twice = build(R, [("G1", "H1"), ("G2", "H1")])
    assert "household H1 is assigned twice" in str(first_violation(R, twice))
    two_matches = replace(
        build(R, [("G1", "H2"), ("G2", "H1")]),
        matches=build(R, [("G1", "H1"), ("G1", "H2")]).matches,
    )
    assert "group G1 has two matches" in str(first_violation(R, two_matches))
    no_arm = build(R, [("G1", "H2")], [("G1", "H1")])
    assert "no control arm" in str(first_violation(R, no_arm))
    lonely_control = build(ARM, [("G1", "H2")], [("G2", "H1")])
    assert "a control household but no match" in str(first_violation(ARM, lonely_control))


def test_unmatched_lists_reasons_and_counts_are_checked() -> None:
    good = build(R, [("G1", "H2"), ("G2", "H1")])
    assert rule(R, replace(good, unmatched_households=())) == "unmatched"
    (h3,) = good.unmatched_households
    assert h3.reason is UnmatchedReason.NO_PARTNER_IN_RANGE
    wrong = replace(h3, reason=UnmatchedReason.PARTNERS_TAKEN)
    assert rule(R, replace(good, unmatched_households=(wrong,))) == "wrong reason"
    miscount = replace(h3, eligible_partners=2)
    assert rule(R, replace(good, unmatched_households=(miscount,))) == "wrong count"


def test_order_and_summary_are_checked() -> None:
    good = build(R, [("G1", "H2"), ("G2", "H1")])
    assert rule(R, replace(good, matches=good.matches[::-1])) == "order"
    for field, value in (("preference_cost", 5), ("eligible_pairs", 9), ("matched", 1)):
        assert rule(R, replace(good, summary=replace(good.summary, **{field: value}))) == (
            "summary"
        )


def test_each_level_of_optimality_is_checked() -> None:
    # Level 1: one pair where two are possible.
    found = first_violation(R, build(R, [("G2", "H1")]))
    assert found is not None and "level 1" in found.message and "maximum is 2" in found.message
    # Level 2: both pairs, but G1 takes its second choice.
    near = Round(
        R.parameters,
        (g("G1", 0, ranking=("family", "couple")), g("G2", 0)),
        (h("H1", 0), h("H2", 0, type="family")),
    )
    found = first_violation(near, build(near, [("G1", "H1"), ("G2", "H2")]))
    assert found is not None and "level 2" in found.message and "optimum is 0" in found.message
    # Level 3: same preferences, longer total distance.
    far = Round(R.parameters, (g("G1", 0), g("G2", 3)), (h("H1", 0), h("H2", 3)))
    found = first_violation(far, build(far, [("G1", "H2"), ("G2", "H1")]))
    assert found is not None and "level 3 (smallest total distance)" in found.message
    assert verdict(far, build(far, [("G1", "H1"), ("G2", "H2")])) == VALID_AND_OPTIMAL


def test_control_arm_levels_are_checked() -> None:
    # Three households for two groups: G2 covered before G1 gets two.
    r = Round(Parameters(control_arm=True), (g("G1", 0), g("G2", 0)), (h("H1"), h("H2"), h("H3")))
    found = first_violation(r, build(r, [("G1", "H1")], [("G1", "H2")]))
    assert found is not None and "level 1 (as many groups as possible" in found.message
    found = first_violation(r, build(r, [("G1", "H1"), ("G2", "H2")]))
    assert found is not None and "level 2 (as many groups as possible with two)" in found.message
    assert verdict(r, build(r, [("G1", "H1"), ("G2", "H2")], [("G2", "H3")])) == (VALID_AND_OPTIMAL)


def test_a_blocking_pair_makes_a_stable_result_unstable() -> None:
    r = Round(
        Parameters(mechanism=Mechanism.STABLE),
        (g("G1", 0, ranking=("family",)),),
        (h("H1", 0), h("H2", 0, type="family")),
    )
    found = first_violation(r, build(r, [("G1", "H1")]))
    assert found is not None and found.rule == "not stable" and "G1" in found.message
    assert verdict(r, build(r, [("G1", "H2")])) == VALID_AND_STABLE
