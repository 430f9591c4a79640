"""Synthetic rounds: reproducible, valid per the contract, clustered, with shared postcodes."""

from __future__ import annotations

import collections

import pytest

from welcomematch.core.errors import InvalidInput
from welcomematch.core.generate import GROUP_TYPES, HOUSEHOLD_TYPES, generate_round
from welcomematch.core.geo import haversine_km
from welcomematch.core.model import Mechanism
from welcomematch.core.roundfile import dumps_round, loads_round


def test_same_arguments_give_the_same_round_and_another_seed_another() -> None:
    a = generate_round(groups=30, households=90, cities=3, seed=5)
    b = generate_round(groups=30, households=90, cities=3, seed=5)
    c = generate_round(groups=30, households=90, cities=3, seed=6)
    assert a == b
    assert a != c


def test_generated_round_is_a_valid_round_file_that_round_trips() -> None:
    r = generate_round(groups=40, households=120, cities=4, seed=1, control_arm=True)
    assert loads_round(dumps_round(r)) == r
    assert r.parameters.control_arm and r.parameters.seed == 1


def test_counts_ids_and_categories() -> None:
    r = generate_round(groups=12, households=150, cities=2, seed=3)
    assert len(r.groups) == 12 and len(r.households) == 150
    assert r.groups[0].id == "G01" and r.households[0].id == "H001"
    assert {g.type for g in r.groups} <= set(GROUP_TYPES)
    assert {h.type for h in r.households} <= set(HOUSEHOLD_TYPES)
    for g in r.groups:
        assert set(g.ranking) <= set(HOUSEHOLD_TYPES)
        assert len(set(g.ranking)) == len(g.ranking)
    assert {h.vulnerability for h in r.households} == {0, 1, 2, 3}
    assert {len(h.ranking) for h in r.households} >= {0, 1, 5}


def test_participants_share_postcode_points_and_cluster_around_their_cities() -> None:
    r = generate_round(groups=100, households=300, cities=2, seed=9)
    points = collections.Counter((p.lat, p.lon) for p in (*r.groups, *r.households))
    assert max(points.values()) >= 3
    assert len(points) < 400 / 2
    # every participant lies near Amsterdam or Rotterdam (the two largest centres)
    for p in (*r.groups, *r.households):
        near = min(
            haversine_km(p.lat, p.lon, 52.3728, 4.8936), haversine_km(p.lat, p.lon, 51.9225, 4.4792)
        )
        assert near < 30


def test_some_excludes_name_existing_participants_of_the_other_side() -> None:
    r = generate_round(groups=400, households=1200, cities=3, seed=2)
    g_ids = {g.id for g in r.groups}
    h_ids = {h.id for h in r.households}
    excludes = [gid for h in r.households for gid in h.exclude]
    assert excludes and set(excludes) <= g_ids
    assert {hid for g in r.groups for hid in g.exclude} <= h_ids


def test_large_round_is_generated_with_the_requested_sizes() -> None:
    r = generate_round(groups=20_000, households=60_000, cities=40, seed=4)
    assert len(r.groups) == 20_000 and r.households[-1].id == "H60000"


def test_empty_sides_are_allowed() -> None:
    r = generate_round(groups=0, households=5, cities=1, seed=0)
    assert r.groups == () and len(r.households) == 5


def test_stable_with_control_arm_is_refused() -> None:
    with pytest.raises(InvalidInput, match="control_arm"):
        generate_round(
            groups=1, households=1, cities=1, seed=0, control_arm=True, mechanism=Mechanism.STABLE
        )


@pytest.mark.parametrize("field", ["groups", "households", "cities", "seed"])
def test_bad_sizes_name_the_argument(field: str) -> None:
    kwargs = {"groups": 1, "households": 1, "cities": 1, "seed": 0, field: -1}
    with pytest.raises(InvalidInput, match=f"^{field}: must be an integer"):
        generate_round(**kwargs)
