"""Eligibility: distance, vulnerability and exclusion rules, and reach counts."""

from __future__ import annotations

import numpy as np
import pytest

from welcomematch.core.eligibility import eligibility, eligible_candidates, reach_counts
from welcomematch.core.errors import InvalidInput
from welcomematch.core.geo import haversine_km_array
from welcomematch.core.model import Group, Household, Parameters, Round


def _g(gid: str, lat: float, lon: float, capacity: int = 3, exclude: tuple[str, ...] = ()) -> Group:
    return Group(gid, lat, lon, capacity, "mixed", (), frozenset(exclude))


def _h(
    hid: str, lat: float, lon: float, vulnerability: int = 0, exclude: tuple[str, ...] = ()
) -> Household:
    return Household(hid, lat, lon, vulnerability, "couple", (), frozenset(exclude))


def _round(groups: list[Group], households: list[Household], max_km: float = 5.0) -> Round:
    return Round(Parameters(max_distance_km=max_km), tuple(groups), tuple(households))


def _pairs(r: Round) -> list[tuple[str, str]]:
    c = eligible_candidates(r)
    return [(r.groups[i].id, r.households[j].id) for i, j in zip(c.group, c.household, strict=True)]


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(
        haversine_km_array(np.array([a[0]]), np.array([a[1]]), np.array([b[0]]), np.array([b[1]]))[
            0
        ]
    )


def test_pair_exactly_at_max_distance_is_eligible() -> None:
    g, h = (52.0, 5.0), (52.03, 5.02)
    d = _km(g, h)
    assert _pairs(_round([_g("G1", *g)], [_h("H1", *h)], max_km=d)) == [("G1", "H1")]


def test_pair_just_beyond_max_distance_is_not_eligible() -> None:
    g, h = (52.0, 5.0), (52.03, 5.02)
    d = _km(g, h)
    assert _pairs(_round([_g("G1", *g)], [_h("H1", *h)], max_km=np.nextafter(d, 0.0))) == []


def test_household_above_group_capacity_is_never_paired() -> None:
    r = _round([_g("G1", 52.0, 5.0, capacity=1)], [_h("H1", 52.0, 5.0, 2), _h("H2", 52.0, 5.0, 1)])
    assert _pairs(r) == [("G1", "H2")]


def test_group_excluding_household_is_never_paired() -> None:
    r = _round([_g("G1", 52.0, 5.0, exclude=("H1",))], [_h("H1", 52.0, 5.0), _h("H2", 52.0, 5.0)])
    assert _pairs(r) == [("G1", "H2")]


def test_household_excluding_group_is_never_paired() -> None:
    r = _round([_g("G1", 52.0, 5.0), _g("G2", 52.0, 5.0)], [_h("H1", 52.0, 5.0, exclude=("G2",))])
    assert _pairs(r) == [("G1", "H1")]


def test_unknown_exclude_id_is_invalid_input_naming_record_and_field() -> None:
    r = _round([_g("G1", 52.0, 5.0, exclude=("H9",))], [_h("H1", 52.0, 5.0)])
    with pytest.raises(InvalidInput, match=r"G1: exclude: .*H9") as err:
        eligible_candidates(r)
    assert (err.value.record, err.value.field) == ("group G1", "exclude")


def test_reach_counts_count_each_rule_in_turn() -> None:
    r = _round(
        [_g("G1", 52.0, 5.0, capacity=1, exclude=("H3",)), _g("G2", 0.0, 0.0)],
        [
            _h("H1", 52.0, 5.0, 0),
            _h("H2", 52.001, 5.0, 2),
            _h("H3", 52.0, 5.001, 1),
            _h("H4", 52.0, 6.5, 0),
        ],
    )
    k = reach_counts(r)
    assert k.group_in_range.tolist() == [3, 0]
    assert k.group_capacity_ok.tolist() == [2, 0]
    assert k.group_eligible.tolist() == [1, 0]
    assert k.household_in_range.tolist() == [1, 1, 1, 0]
    assert k.household_capacity_ok.tolist() == [1, 0, 1, 0]
    assert k.household_eligible.tolist() == [1, 0, 0, 0]


def test_candidates_equal_brute_force_all_pairs_on_random_rounds() -> None:
    rng = np.random.default_rng(7)
    for trial in range(30):
        n_g, n_h = int(rng.integers(0, 40)), int(rng.integers(0, 60))
        centre = rng.uniform(-60, 60, 2)
        spread = rng.choice([0.01, 0.05, 0.2])
        groups = [
            _g(
                f"G{i}",
                float(centre[0] + rng.normal(0, spread)),
                float(centre[1] + rng.normal(0, spread)),
                int(rng.integers(0, 4)),
                exclude=tuple(f"H{j}" for j in range(n_h) if rng.random() < 0.05),
            )
            for i in range(n_g)
        ]
        households = [
            _h(
                f"H{j}",
                float(centre[0] + rng.normal(0, spread)),
                float(centre[1] + rng.normal(0, spread)),
                int(rng.integers(0, 4)),
                exclude=tuple(f"G{i}" for i in range(n_g) if rng.random() < 0.05),
            )
            for j in range(n_h)
        ]
        max_km = float(rng.choice([0.5, 2.0, 5.0, 30.0]))
        r = _round(groups, households, max_km)
        expected = []
        for g in groups:
            for h in households:
                d = _km((g.lat, g.lon), (h.lat, h.lon))
                if (
                    d <= max_km
                    and h.vulnerability <= g.capacity
                    and h.id not in g.exclude
                    and g.id not in h.exclude
                ):
                    expected.append((g.id, h.id, d))
        c, k = eligibility(r)
        got = [
            (r.groups[i].id, r.households[j].id, d)
            for i, j, d in zip(c.group, c.household, c.distance_km, strict=True)
        ]
        assert got == expected, trial
        assert k.group_eligible.sum() == len(expected)
        assert c.group.dtype == np.int32 and c.household.dtype == np.int32


def test_whole_earth_radius_includes_antipodes() -> None:
    r = _round([_g("G1", 0.0, 0.0)], [_h("H1", 0.0, 180.0)], max_km=30000.0)
    assert _pairs(r) == [("G1", "H1")]


@pytest.mark.parametrize("blocks", [2, 3, 8])
def test_blocks_of_groups_give_the_same_pairs_and_counts_as_one_pass(blocks: int) -> None:
    # Participants share rounded postcode points and levels, so blocks split points whose
    # groups fall in different blocks; exclusions fall inside and across blocks.
    rng = np.random.default_rng(40 + blocks)
    for _ in range(15):
        n_g, n_h = int(rng.integers(1, 60)), int(rng.integers(0, 120))
        points = np.round(rng.uniform([52.0, 4.0], [52.1, 4.15], (12, 2)), 4)
        groups = [
            _g(
                f"G{i:03d}",
                *map(float, points[rng.integers(0, 12)]),
                capacity=int(rng.integers(0, 4)),
                exclude=tuple(f"H{j:03d}" for j in range(n_h) if rng.random() < 0.03),
            )
            for i in range(n_g)
        ]
        households = [
            _h(
                f"H{j:03d}",
                *map(float, points[rng.integers(0, 12)]),
                vulnerability=int(rng.integers(0, 4)),
                exclude=tuple(f"G{i:03d}" for i in range(n_g) if rng.random() < 0.03),
            )
            for j in range(n_h)
        ]
        r = _round(groups, households, max_km=float(rng.choice([1.0, 3.0, 8.0])))
        one_c, one_k = eligibility(r, blocks=1)
        many_c, many_k = eligibility(r, blocks=blocks)
        assert len(one_c) > 0 or n_h == 0
        for name in ("group", "household", "distance_km"):
            assert np.array_equal(getattr(one_c, name), getattr(many_c, name)), name
        for name in one_k.__dataclass_fields__:
            assert np.array_equal(getattr(one_k, name), getattr(many_k, name)), name
        assert many_c.group.dtype == np.int32 and many_c.household.dtype == np.int32
