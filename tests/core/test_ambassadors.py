"""Suggested ambassadors: hand-worked cases and a brute-force cross-check of the optimum."""

from __future__ import annotations

import itertools
import random

import pytest

from welcomematch.core.ambassadors import (
    AmbassadorSlot,
    MatchNeed,
    suggest_ambassadors,
)
from welcomematch.core.errors import InvalidInput


def _by_match(suggestions):
    return {s.match: s.ambassador for s in suggestions}


def test_a_shared_language_is_required_and_reported():
    needs = [MatchNeed("m1", ("ar", "nl"), "Almere")]
    slots = [
        AmbassadorSlot("tigrinya", ("ti", "nl"), ("Almere",), load=0, maximum=4),
        AmbassadorSlot("arabic", ("ar", "nl"), ("Haarlem",), load=0, maximum=4),
    ]
    suggestions, left_out = suggest_ambassadors(needs, slots)
    assert left_out == ()
    (only,) = suggestions
    assert only.ambassador == "arabic"
    assert only.shared_languages == ("ar",)
    assert only.same_city is False
    assert (only.load_after, only.maximum) == (1, 4)


def test_same_city_beats_a_lighter_load():
    # Both speak Arabic; 'far' has no load, 'near' has 2 of 4 but works in the household's city.
    needs = [MatchNeed("m1", ("ar",), "Almere")]
    slots = [
        AmbassadorSlot("far", ("ar",), ("Rotterdam",), load=0, maximum=4),
        AmbassadorSlot("near", ("ar",), ("Almere",), load=2, maximum=4),
    ]
    suggestions, _ = suggest_ambassadors(needs, slots)
    assert _by_match(suggestions) == {"m1": "near"}
    assert suggestions[0].same_city


def test_more_matches_served_beats_same_city():
    # m1 could go to either; m2 only to 'b' (Tigrinya). 'b' works in m1's city, but giving
    # m1 to 'b' would leave m2 without anyone: two served beats one same-city suggestion.
    needs = [MatchNeed("m1", ("ar",), "Almere"), MatchNeed("m2", ("ti",), "Haarlem")]
    slots = [
        AmbassadorSlot("a", ("ar",), ("Haarlem",), load=0, maximum=1),
        AmbassadorSlot("b", ("ar", "ti"), ("Almere",), load=0, maximum=1),
    ]
    suggestions, left_out = suggest_ambassadors(needs, slots)
    assert _by_match(suggestions) == {"m1": "a", "m2": "b"}
    assert left_out == ()


def test_load_is_spread_and_never_above_the_maximum():
    # Four Arabic-speaking matches, two ambassadors in the same city:
    # 'x' has 1 of 4 (shares after taking 1, 2, 3: 500, 750, 1000),
    # 'y' has 0 of 2 (shares after taking 1, 2: 500, 1000).
    # Four places are needed: cheapest multiset of marginal costs is x:500, y:500, x:750,
    # then 1000 either way -> x takes 2 or 3, y 2 or 1; total 2750 both ways.
    needs = [MatchNeed(f"m{i}", ("ar",), "Almere") for i in range(4)]
    slots = [
        AmbassadorSlot("x", ("ar",), ("Almere",), load=1, maximum=4),
        AmbassadorSlot("y", ("ar",), ("Almere",), load=0, maximum=2),
    ]
    suggestions, left_out = suggest_ambassadors(needs, slots)
    assert left_out == ()
    per = {"x": 0, "y": 0}
    for s in suggestions:
        per[s.ambassador] += 1
    assert per in ({"x": 2, "y": 2}, {"x": 3, "y": 1})
    assert all(s.load_after <= s.maximum for s in suggestions)
    # With three matches the even spread is forced: x gets 2 (500, 750), y gets 1 (500).
    suggestions, _ = suggest_ambassadors(needs[:3], slots)
    per = {"x": 0, "y": 0}
    for s in suggestions:
        per[s.ambassador] += 1
    assert per == {"x": 2, "y": 1}


def test_reasons_for_matches_left_without_ambassador():
    needs = [
        MatchNeed("declines", ("ar",), "Almere", wants_ambassador=False),
        MatchNeed("farsi", ("fa",), "Almere"),
        MatchNeed("arabic1", ("ar",), "Almere"),
        MatchNeed("arabic2", ("ar",), "Almere"),
    ]
    slots = [AmbassadorSlot("a", ("ar",), ("Almere",), load=3, maximum=4)]
    suggestions, left_out = suggest_ambassadors(needs, slots)
    assert len(suggestions) == 1 and suggestions[0].match in {"arabic1", "arabic2"}
    reasons = {n.match: n.reason for n in left_out}
    assert reasons["declines"] == "declined"
    assert reasons["farsi"] == "no_language"
    assert reasons[{"arabic1", "arabic2"}.difference({suggestions[0].match}).pop()] == "all_full"


def test_a_household_that_speaks_only_dutch_can_have_anyone():
    suggestions, _ = suggest_ambassadors(
        [MatchNeed("m", ("nl",), "Almere")],
        [AmbassadorSlot("a", ("so",), ("Almere",), load=0, maximum=1)],
    )
    assert suggestions[0].shared_languages == ()


def test_full_ambassadors_get_nothing():
    suggestions, left_out = suggest_ambassadors(
        [MatchNeed("m", ("ar",), "Almere")],
        [AmbassadorSlot("a", ("ar",), ("Almere",), load=4, maximum=4)],
    )
    assert suggestions == ()
    assert left_out[0].reason == "all_full"


@pytest.mark.parametrize(
    ("slot", "field"),
    [
        (AmbassadorSlot("a", ("ar",), (), load=0, maximum=0), "maximum"),
        (AmbassadorSlot("a", ("ar",), (), load=-1, maximum=2), "load"),
    ],
)
def test_bad_input_names_the_record_and_field(slot, field):
    with pytest.raises(InvalidInput, match=f"ambassador a: {field}:"):
        suggest_ambassadors([], [slot])


def test_duplicate_match_ids_are_refused():
    need = MatchNeed("m", ("ar",), "Almere")
    with pytest.raises(InvalidInput, match="match m: id: appears twice"):
        suggest_ambassadors([need, need], [])


def _objective(needs, slots, assignment):
    """Brute-force objective of one assignment (match index -> slot index or None)."""
    count = city = load = 0
    taken = [0] * len(slots)
    for i, j in assignment.items():
        if j is None:
            continue
        taken[j] += 1
        slot = slots[j]
        count += 1
        city += needs[i].city in slot.cities
        load += (slot.load + taken[j]) * 1000 // slot.maximum
    return (-count, -city, load)


def _brute_force(needs, slots):
    options = []
    for need in needs:
        choices = [None]
        if need.wants_ambassador:
            wanted = set(need.languages) - {"nl"}
            for j, slot in enumerate(slots):
                if not wanted or wanted & set(slot.languages):
                    choices.append(j)
        options.append(choices)
    best = None
    for combo in itertools.product(*options):
        taken = [0] * len(slots)
        for j in combo:
            if j is not None:
                taken[j] += 1
        if any(slots[j].load + taken[j] > slots[j].maximum for j in range(len(slots))):
            continue
        value = _objective(needs, slots, dict(enumerate(combo)))
        if best is None or value < best:
            best = value
    return best


def test_the_suggestion_is_the_lexicographic_optimum_on_random_small_cases():
    rng = random.Random(20261203)
    languages = ("ar", "ti", "fa", "so", "nl")
    cities = ("Almere", "Haarlem", "Rotterdam")
    for _ in range(300):
        needs = [
            MatchNeed(
                f"m{i}",
                tuple(rng.sample(languages, rng.randint(1, 2))),
                rng.choice(cities),
                wants_ambassador=rng.random() > 0.15,
            )
            for i in range(rng.randint(0, 6))
        ]
        slots = []
        for j in range(rng.randint(0, 3)):
            maximum = rng.randint(1, 3)
            slots.append(
                AmbassadorSlot(
                    f"a{j}",
                    tuple(rng.sample(languages[:4], rng.randint(1, 2))),
                    tuple(rng.sample(cities, rng.randint(0, 2))),
                    load=rng.randint(0, maximum),
                    maximum=maximum,
                )
            )
        suggestions, left_out = suggest_ambassadors(needs, slots)
        index = {s.id: j for j, s in enumerate(slots)}
        position = {n.id: i for i, n in enumerate(needs)}
        assignment = {position[s.match]: index[s.ambassador] for s in suggestions}
        assert len(suggestions) + len(left_out) == len(needs)
        assert _objective(needs, slots, assignment) == _brute_force(needs, slots)


def test_two_suggestions_for_one_ambassador_count_the_earlier_one_in_the_batch():
    # One Arabic-speaking ambassador with 3 of 5: both matches go to her; the first would bring
    # her to 4 of 5, the second to 5 of 5 (not both "5 of 5").
    needs = [MatchNeed("m1", ("ar",), "Almere"), MatchNeed("m2", ("ar",), "Almere")]
    slots = [AmbassadorSlot("samira", ("ar", "nl"), ("Almere",), load=3, maximum=5)]
    suggestions, left_out = suggest_ambassadors(needs, slots)
    assert left_out == ()
    assert [(s.match, s.load_after, s.maximum) for s in suggestions] == [
        ("m1", 4, 5),
        ("m2", 5, 5),
    ]


def test_load_after_counts_up_per_ambassador_in_the_order_of_the_matches():
    rng = random.Random(5)
    languages = ("ar", "ti", "fa")
    needs = [MatchNeed(f"m{i}", (rng.choice(languages),), "Almere") for i in range(12)]
    slots = [
        AmbassadorSlot(f"a{j}", (languages[j % 3], "nl"), ("Almere",), load=j % 2, maximum=4)
        for j in range(5)
    ]
    suggestions, _left = suggest_ambassadors(needs, slots)
    load = {s.id: s.load for s in slots}
    for s in suggestions:
        load[s.ambassador] += 1
        assert s.load_after == load[s.ambassador] <= s.maximum
