"""Category code → label: one way for every page, form and questionnaire."""

from __future__ import annotations

import pytest
from django.utils import translation

from welcomematch.intake import questions
from welcomematch.programmes.models import Category, CategoryKind
from welcomematch.programmes.selectors import category_choices, category_labels

pytestmark = pytest.mark.django_db


@pytest.fixture
def goals():
    Category.objects.filter(kind=CategoryKind.GOAL).delete()
    Category.objects.create(
        kind=CategoryKind.GOAL, code="taal", label_nl="Taal oefenen", label_en="Practise Dutch"
    )
    Category.objects.create(
        kind=CategoryKind.GOAL,
        code="oud",
        label_nl="Vervallen doel",
        label_en="Retired goal",
        active=False,
    )


def test_a_code_reads_as_its_label_in_the_active_language(goals):
    labels = category_labels(CategoryKind.GOAL)
    with translation.override("nl"):
        assert labels(CategoryKind.GOAL, "taal") == "Taal oefenen"
    with translation.override("en"):
        assert labels(CategoryKind.GOAL, "taal") == "Practise Dutch"
        assert labels.many(CategoryKind.GOAL, ["taal", "oud"]) == ["Practise Dutch", "Retired goal"]


def test_an_unknown_or_empty_code_is_shown_as_it_is(goals):
    labels = category_labels(CategoryKind.GOAL)
    assert labels(CategoryKind.GOAL, "onbekend") == "onbekend"
    assert labels(CategoryKind.GOAL, "") == ""
    assert labels(CategoryKind.HOUSEHOLD_TYPE, "taal") == "taal"  # another list's code


def test_an_inactive_entry_keeps_its_label_but_is_no_longer_offered(goals):
    with translation.override("en"):
        assert category_choices(CategoryKind.GOAL) == [("taal", "Practise Dutch")]
        assert category_labels(CategoryKind.GOAL)(CategoryKind.GOAL, "oud") == "Retired goal"


def test_the_questionnaires_read_the_same_labels(goals):
    for language in ("nl", "en"):
        with translation.override(language):
            assert questions.choice_labels("goal") == dict(category_choices(CategoryKind.GOAL))
            assert questions.choice_label("goal", "taal") == category_labels(CategoryKind.GOAL)(
                CategoryKind.GOAL, "taal"
            )
