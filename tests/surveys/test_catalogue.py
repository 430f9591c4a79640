"""The shipped instruments: every item of evaluation.md, installed by the migration, global."""

from __future__ import annotations

import pytest

from tests.factories import make_programme
from welcomematch.core.scales import SCALES
from welcomematch.surveys.catalogue import shipped_instrument, shipped_instruments
from welcomematch.surveys.models import Instrument, Item

# The mid-term items of evaluation.md, with their sides and scales.
CONTRACT_MIDTERM = {
    "dutch_improved": ("both", "likert5"),
    "depend_ambassador_communication": ("newcomer", "likert5"),
    "contact_informal_friendly": ("both", "likert5"),
    "trust_match": ("both", "likert5"),
    "comfortable_sharing_feelings": ("both", "likert5"),
    "became_friends": ("both", "likert5"),
    "cultural_distance_decreased": ("both", "likert5"),
    "understand_other_culture": ("both", "likert5"),
    "ambassador_support": ("both", "satisfaction5"),
    "ambassador_important_role": ("both", "likert5"),
    "depend_ambassador_contact": ("both", "likert5"),
    "matching_satisfaction": ("both", "satisfaction5"),
    "want_more_time": ("both", "likert5"),
    "distance_too_far": ("both", "likert5"),
    "covid_impact": ("both", "likert5"),
    "lasting_impact": ("both", "likert5"),
    "would_recommend": ("both", "yes_no"),
    "group_role": ("both", "group_role"),
    "dutch_cefr": ("newcomer", "cefr"),
    "english_cefr": ("newcomer", "cefr"),
    "work_status": ("newcomer", "work_status"),
}


def _sides(which: str) -> tuple[str, ...]:
    return ("group_member", "newcomer") if which == "both" else (which,)


@pytest.mark.parametrize("moment", ["midterm", "final"])
def test_every_contract_item_is_in_the_midterm_and_final_instruments(moment: str) -> None:
    for code, (which, scale) in CONTRACT_MIDTERM.items():
        for side in _sides(which):
            definition = shipped_instrument(moment, side)
            assert definition is not None
            items = {item.code: item for item in definition.items}
            assert code in items, (moment, side, code)
            assert items[code].scale == scale


def test_items_only_asked_of_newcomers_are_not_in_group_member_instruments() -> None:
    codes = {item.code for item in shipped_instrument("midterm", "group_member").items}  # type: ignore[union-attr]
    assert not codes & {
        "dutch_cefr",
        "english_cefr",
        "work_status",
        "depend_ambassador_communication",
    }


def test_final_newcomer_instrument_adds_trial_outcomes_that_do_not_concern_the_match() -> None:
    items = {i.code: i for i in shipped_instrument("final", "newcomer").items}  # type: ignore[union-attr]
    for code in ("dutch_cefr", "english_cefr", "work_status", "dutch_contacts_help"):
        assert not items[code].concerns_match
    assert items["dutch_contacts_help"].scale == "number"
    assert items["trust_match"].concerns_match


def test_intake_newcomer_instrument_asks_levels_and_work() -> None:
    codes = [i.code for i in shipped_instrument("intake", "newcomer").items]  # type: ignore[union-attr]
    assert {"dutch_cefr", "english_cefr", "work_status"} <= set(codes)


def test_every_wording_is_in_dutch_and_english_and_dutch_uses_u() -> None:
    for definition in shipped_instruments():
        for item in definition.items:
            assert item.text["nl"] and item.text["en"]
            words = item.text["nl"].lower().replace("?", " ").replace(",", " ").split()
            assert "je" not in words and "jij" not in words and "jouw" not in words, item.code
            assert item.scale in SCALES or item.scale in ("number", "text")


@pytest.mark.django_db
def test_migration_installs_version_one_of_every_shipped_instrument() -> None:
    for definition in shipped_instruments():
        instrument = Instrument.objects.get(moment=definition.moment, side=definition.side)
        assert instrument.version == 1 and instrument.is_current
        codes = list(instrument.items.order_by("position").values_list("code", flat=True))
        assert codes == [item.code for item in definition.items]


@pytest.mark.django_db
def test_instruments_apply_to_a_programme_created_later_without_a_further_step() -> None:
    make_programme(name="Later", slug="later")
    # Instruments are global: the new programme sees the same current instruments.
    assert Instrument.objects.filter(is_current=True).count() == len(shipped_instruments())
    assert Item.objects.filter(instrument__is_current=True, code="trust_match").count() == 4
