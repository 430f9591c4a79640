"""run_round: the result contract, unmatched reasons, validation, determinism, properties."""

from __future__ import annotations

import dataclasses
import gc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import welcomematch
from tests.core.oracle import check_result
from welcomematch.core.engine import ENGINE_VERSION, run_round
from welcomematch.core.errors import InvalidInput
from welcomematch.core.model import (
    Group,
    Household,
    Mechanism,
    Parameters,
    Round,
    UnmatchedReason,
)
from welcomematch.core.validation import validate_round

LAT, LON = 52.37, 4.89
FAR = 1.0  # one degree of latitude: about 111 km


def g(gid: str, dlat: float = 0.0, capacity: int = 3, exclude: tuple[str, ...] = ()) -> Group:
    return Group(gid, LAT + dlat, LON, capacity, "mixed", (), frozenset(exclude))


def h(
    hid: str, dlat: float = 0.0, vulnerability: int = 0, exclude: tuple[str, ...] = ()
) -> Household:
    return Household(hid, LAT + dlat, LON, vulnerability, "couple", (), frozenset(exclude))


def rnd(groups: list[Group], households: list[Household], **params: object) -> Round:
    return Round(Parameters(**params), tuple(groups), tuple(households))  # type: ignore[arg-type]


MODES = [
    pytest.param({"mechanism": Mechanism.OPTIMAL}, id="optimal"),
    pytest.param({"mechanism": Mechanism.OPTIMAL, "control_arm": True}, id="control-arm"),
    pytest.param({"mechanism": Mechanism.STABLE}, id="stable"),
]


def reasons(result_list: tuple[object, ...]) -> dict[str, tuple[str, int]]:
    return {u.id: (u.reason.value, u.eligible_partners) for u in result_list}  # type: ignore[attr-defined]


@pytest.mark.parametrize("mode", MODES)
def test_participant_with_nobody_in_range_is_no_partner_in_range(mode: dict[str, object]) -> None:
    res = run_round(rnd([g("G1"), g("G2", FAR)], [h("H1"), h("H2", -FAR)], **mode))
    check_result(rnd([g("G1"), g("G2", FAR)], [h("H1"), h("H2", -FAR)], **mode), res)
    assert reasons(res.unmatched_groups) == {"G2": ("no_partner_in_range", 0)}
    assert reasons(res.unmatched_households) == {"H2": ("no_partner_in_range", 0)}


@pytest.mark.parametrize("mode", MODES)
def test_participant_in_range_only_of_too_vulnerable_partners_is_vulnerability(
    mode: dict[str, object],
) -> None:
    r = rnd([g("G1", capacity=1)], [h("H1", vulnerability=2)], **mode)
    res = run_round(r)
    check_result(r, res)
    assert reasons(res.unmatched_groups) == {"G1": ("vulnerability", 0)}
    assert reasons(res.unmatched_households) == {"H1": ("vulnerability", 0)}


@pytest.mark.parametrize("mode", MODES)
def test_exclusion_in_either_direction_is_excluded(mode: dict[str, object]) -> None:
    r = rnd(
        [g("G1", exclude=("H1",)), g("G2", FAR)],
        [h("H1"), h("H2", FAR, exclude=("G2",))],
        **mode,
    )
    res = run_round(r)
    check_result(r, res)
    assert res.matches == ()
    assert reasons(res.unmatched_groups) == {"G1": ("excluded", 0), "G2": ("excluded", 0)}
    assert reasons(res.unmatched_households) == {"H1": ("excluded", 0), "H2": ("excluded", 0)}


@pytest.mark.parametrize("mode", MODES)
def test_participant_whose_eligible_partners_went_to_others_is_partners_taken(
    mode: dict[str, object],
) -> None:
    r = rnd([g("G1"), g("G2")], [h("H1")], **mode)
    res = run_round(r)
    check_result(r, res)
    assert len(res.matches) == 1
    (unmatched,) = res.unmatched_groups
    assert (unmatched.reason, unmatched.eligible_partners) == (UnmatchedReason.PARTNERS_TAKEN, 1)


def test_vulnerability_is_reported_before_exclusion() -> None:
    r = rnd([g("G1", capacity=0, exclude=("H1",))], [h("H1", vulnerability=1)])
    assert reasons(run_round(r).unmatched_groups) == {"G1": ("vulnerability", 0)}


def test_partners_taken_household_counts_all_its_eligible_groups() -> None:
    r = rnd([g("G1")], [h("H1"), h("H2", 0.01), h("H3", FAR)])
    res = run_round(r)
    assert reasons(res.unmatched_households) == {
        "H2": ("partners_taken", 1),
        "H3": ("no_partner_in_range", 0),
    }


def test_control_household_appears_in_no_other_list() -> None:
    r = rnd([g("G1")], [h("H1"), h("H2"), h("H3", FAR)], control_arm=True, seed=4)
    res = run_round(r)
    check_result(r, res)
    (control,) = res.controls
    assert control.household not in {u.id for u in res.unmatched_households}
    assert control.household not in {p.household for p in res.matches}
    assert [u.id for u in res.unmatched_households] == ["H3"]


def test_group_with_one_household_gets_it_as_treatment_without_control() -> None:
    res = run_round(rnd([g("G1")], [h("H1")], control_arm=True))
    assert [(p.group, p.household) for p in res.matches] == [("G1", "H1")]
    assert res.controls == ()


def test_summary_counts_and_version() -> None:
    r = rnd([g("G1"), g("G2")], [h("H1"), h("H2", 0.01), h("H3")], control_arm=True, seed=9)
    res = run_round(r)
    s = res.summary
    assert (s.groups, s.households, s.eligible_pairs) == (2, 3, 6)
    assert (s.matched, s.controls) == (2, 1)
    assert s.version == f"{welcomematch.__version__}+engine{ENGINE_VERSION}"
    assert s.solver.startswith("ortools-min-cost-flow")
    assert res.parameters == r.parameters


def test_lists_are_sorted_by_id_whatever_the_input_order() -> None:
    ids = ["G10", "G2", "G1", "Gb", "Ga"]
    r = rnd([g(i, FAR if i.startswith("Ga") else 0.0) for i in ids], [h("H2"), h("H1")])
    res = run_round(r)
    assert [p.group for p in res.matches] == sorted(p.group for p in res.matches)
    assert [u.id for u in res.unmatched_groups] == sorted(u.id for u in res.unmatched_groups)


# --- validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("round_", "record", "field"),
    [
        (rnd([g("G1"), g("G1")], [h("H1")]), "group G1", "id"),
        (rnd([g("G1")], [h("H1"), h("H1")]), "household H1", "id"),
        (rnd([g("")], [h("H1")]), "groups[0]", "id"),
        (rnd([g("G1", exclude=("H9",))], [h("H1")]), "group G1", "exclude"),
        (rnd([g("G1")], [h("H1", exclude=("G9",))]), "household H1", "exclude"),
        (rnd([dataclasses.replace(g("G1"), lat=91.0)], [h("H1")]), "group G1", "lat"),
        (rnd([g("G1")], [dataclasses.replace(h("H1"), lon=-180.5)]), "household H1", "lon"),
        (rnd([dataclasses.replace(g("G1"), lat=float("nan"))], [h("H1")]), "group G1", "lat"),
        (rnd([g("G1", capacity=-1)], [h("H1")]), "group G1", "capacity"),
        (rnd([g("G1")], [h("H1", vulnerability=-2)]), "household H1", "vulnerability"),
        (rnd([dataclasses.replace(g("G1"), ranking=("a", "a"))], [h("H1")]), "group G1", "ranking"),
        (
            rnd([g("G1")], [h("H1")], control_arm=True, mechanism=Mechanism.STABLE),
            "parameters",
            "control_arm",
        ),
        (rnd([g("G1")], [h("H1")], max_distance_km=0.0), "parameters", "max_distance_km"),
        (rnd([g("G1")], [h("H1")], max_distance_km=-1.0), "parameters", "max_distance_km"),
        (rnd([g("G1")], [h("H1")], max_distance_km=float("inf")), "parameters", "max_distance_km"),
    ],
)
def test_invalid_round_is_rejected_naming_record_and_field(
    round_: Round, record: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        run_round(round_)
    assert (err.value.record, err.value.field) == (record, field)
    assert str(err.value).startswith(f"{record}: {field}: ")


def test_empty_round_is_valid_and_matches_nobody() -> None:
    validate_round(rnd([], []))
    res = run_round(rnd([g("G1")], []))
    assert reasons(res.unmatched_groups) == {"G1": ("no_partner_in_range", 0)}


# --- properties -----------------------------------------------------------------------

coords = st.sampled_from([(52.0, 5.0), (52.0, 5.03), (52.02, 5.0), (52.05, 5.05), (52.3, 5.0)])
g_types = st.sampled_from(["a", "b", "c"])
h_types = st.sampled_from(["x", "y", "z"])


@st.composite
def rounds(draw: st.DrawFn) -> Round:
    n_g = draw(st.integers(0, 6))
    n_h = draw(st.integers(0, 9))
    mechanism = draw(st.sampled_from([Mechanism.OPTIMAL, Mechanism.STABLE]))
    control_arm = mechanism == Mechanism.OPTIMAL and draw(st.booleans())
    groups = []
    for i in range(n_g):
        lat, lon = draw(coords)
        groups.append(
            Group(
                f"G{i}",
                lat,
                lon,
                draw(st.integers(0, 3)),
                draw(g_types),
                tuple(draw(st.lists(h_types, unique=True, max_size=3))),
                frozenset(
                    draw(st.sets(st.sampled_from([f"H{j}" for j in range(n_h)]), max_size=2))
                    if n_h
                    else ()
                ),
            )
        )
    households = []
    for j in range(n_h):
        lat, lon = draw(coords)
        households.append(
            Household(
                f"H{j}",
                lat,
                lon,
                draw(st.integers(0, 3)),
                draw(h_types),
                tuple(draw(st.lists(g_types, unique=True, max_size=3))),
                frozenset(
                    draw(st.sets(st.sampled_from([f"G{i}" for i in range(n_g)]), max_size=2))
                    if n_g
                    else ()
                ),
            )
        )
    params = Parameters(
        max_distance_km=draw(st.sampled_from([1.0, 3.0, 5.0])),
        mechanism=mechanism,
        control_arm=control_arm,
        seed=draw(st.integers(0, 2**40)),
    )
    return Round(params, tuple(groups), tuple(households))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds())
def test_an_independent_checker_accepts_every_result(r: Round) -> None:
    check_result(r, run_round(r))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds(), st.randoms(use_true_random=False))
def test_same_seed_and_any_input_order_give_an_identical_result(r: Round, random: object) -> None:
    first = run_round(r)
    assert run_round(r) == first
    groups, households = list(r.groups), list(r.households)
    random.shuffle(groups)  # type: ignore[attr-defined]
    random.shuffle(households)  # type: ignore[attr-defined]
    assert run_round(Round(r.parameters, tuple(groups), tuple(households))) == first


class _SeesTheCollector(str):
    """A category whose hashing records whether the cyclic collector is on at that moment
    (the engine hashes categories while it ranks pairs, deep inside ``run_round``)."""

    seen: list[bool] = []

    def __hash__(self) -> int:
        _SeesTheCollector.seen.append(gc.isenabled())
        return str.__hash__(self)


@pytest.mark.parametrize("mode", MODES)
def test_run_round_leaves_the_garbage_collector_alone(mode: dict[str, object]) -> None:
    """The web server runs rounds in its threads: switching the collector off process-wide
    (even for the duration) would stop it for every other request too."""
    spy = _SeesTheCollector("mixed")
    _SeesTheCollector.seen.clear()
    r = rnd(
        [Group("G1", LAT, LON, 3, spy, ("couple",))],
        [Household("H1", LAT, LON, 0, "couple", (spy,))],
        **mode,
    )
    assert gc.isenabled()
    assert len(run_round(r).matches) == 1
    assert _SeesTheCollector.seen and all(_SeesTheCollector.seen)
    assert gc.isenabled()
