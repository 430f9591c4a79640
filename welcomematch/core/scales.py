"""Answer scales of the evaluation surveys: option codes, their order and numeric levels.

The codes are those of the evaluation contract (``evaluation.md``, "Scales"): responses from the
application's survey pages, from survey-tool exports and from a researcher's file all use them.
Labels are translations keyed by language code, so a newcomer's language (Arabic, Tigrinya) is
added by adding a key, not by changing a schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "CEFR_LEVELS",
    "MOMENTS",
    "SCALES",
    "SIDES",
    "Option",
    "Scale",
    "scale",
]

#: Survey moments, in the order they happen.
MOMENTS: tuple[str, ...] = ("intake", "midterm", "final")
#: Who answers: one response per member of a Welcome Group, one per adult of a household.
SIDES: tuple[str, ...] = ("group_member", "newcomer")


@dataclass(frozen=True, slots=True)
class Option:
    """One answer option: its code, a numeric level where the scale has one, its labels."""

    code: str
    labels: Mapping[str, str]
    level: int | None = None

    def label(self, language: str) -> str:
        """The label in ``language``, else English, else the code itself."""
        return self.labels.get(language) or self.labels.get("en") or self.code


@dataclass(frozen=True, slots=True)
class Scale:
    """A closed answer scale.

    ``multiple`` scales take a set of option codes (select multiple), at most ``max_choices``
    of them when that is set; the others take exactly one code.
    """

    code: str
    options: tuple[Option, ...]
    multiple: bool = False
    max_choices: int | None = None

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(option.code for option in self.options)

    def option(self, code: str) -> Option:
        for option in self.options:
            if option.code == code:
                return option
        raise KeyError(code)


def _opt(code: str, en: str, nl: str, level: int | None = None) -> Option:
    return Option(code=code, labels={"en": en, "nl": nl}, level=level)


#: Numeric CEFR levels: none = 0, A1 = 1, ..., C2 = 6.
CEFR_LEVELS: Mapping[str, int] = {
    "none": 0,
    "A1": 1,
    "A2": 2,
    "B1": 3,
    "B2": 4,
    "C1": 5,
    "C2": 6,
}

SCALES: Mapping[str, Scale] = {
    s.code: s
    for s in (
        Scale(
            "likert5",
            (
                _opt("strongly_agree", "Strongly agree", "Helemaal mee eens"),
                _opt("somewhat_agree", "Somewhat agree", "Enigszins mee eens"),
                _opt("neutral", "Neither agree nor disagree", "Niet mee eens, noch oneens"),
                _opt("somewhat_disagree", "Somewhat disagree", "Enigszins mee oneens"),
                _opt("strongly_disagree", "Strongly disagree", "Helemaal mee oneens"),
            ),
        ),
        Scale(
            "satisfaction5",
            (
                _opt("very_satisfied", "Very satisfied", "Zeer tevreden"),
                _opt("somewhat_satisfied", "Somewhat satisfied", "Enigszins tevreden"),
                _opt("neutral", "Neither satisfied nor dissatisfied", "Neutraal"),
                _opt("somewhat_dissatisfied", "Somewhat dissatisfied", "Enigszins ontevreden"),
                _opt("very_dissatisfied", "Very dissatisfied", "Zeer ontevreden"),
            ),
        ),
        Scale(
            "cefr",
            (
                _opt(
                    "none", "Cannot speak, read or write it", "Spreek, lees of schrijf ik niet", 0
                ),
                _opt("A1", "A1 (beginner)", "A1 (beginner)", 1),
                _opt("A2", "A2 (elementary)", "A2 (basis)", 2),
                _opt("B1", "B1 (intermediate)", "B1 (gemiddeld)", 3),
                _opt("B2", "B2 (upper intermediate)", "B2 (bovengemiddeld)", 4),
                _opt("C1", "C1 (advanced)", "C1 (gevorderd)", 5),
                _opt("C2", "C2 (proficient)", "C2 (vaardig)", 6),
            ),
        ),
        Scale("yes_no", (_opt("yes", "Yes", "Ja"), _opt("no", "No", "Nee"))),
        Scale(
            "work_status",
            (
                _opt("full_time", "Paid work, full-time", "Betaald werk, voltijd"),
                _opt("part_time", "Paid work, part-time", "Betaald werk, deeltijd"),
                _opt("volunteer", "Volunteer work", "Vrijwilligerswerk"),
                _opt("internship", "Internship", "Stage"),
                _opt("student", "Studying", "Studie"),
                _opt("training", "Training or course", "Opleiding of cursus"),
                _opt("looking", "Looking for work", "Op zoek naar werk"),
                _opt("none", "None of these", "Geen van deze"),
            ),
            multiple=True,
        ),
        Scale(
            "group_role",
            (
                _opt("friend", "Friend", "Vriend"),
                _opt("volunteer", "Volunteer", "Vrijwilliger"),
                _opt("coach", "Coach", "Coach"),
                _opt("buddy", "Buddy", "Buddy"),
                _opt("family", "Family", "Familie"),
                _opt("neighbour", "Neighbour", "Buurman of buurvrouw"),
                _opt("teacher", "Teacher", "Leraar"),
                _opt("other", "Other", "Anders"),
            ),
            multiple=True,
            max_choices=3,
        ),
    )
}


def scale(code: str) -> Scale:
    """The scale named ``code``; ``KeyError`` naming it when there is none."""
    try:
        return SCALES[code]
    except KeyError:
        raise KeyError(f"unknown scale {code!r}") from None
