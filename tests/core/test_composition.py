"""The household type follows from its persons."""

import pytest

from welcomematch.core.composition import Gender, HouseholdType, PersonFacts, household_type


def p(age: int, gender: Gender = Gender.UNKNOWN) -> PersonFacts:
    return PersonFacts(age=age, gender=gender)


@pytest.mark.parametrize(
    ("persons", "expected"),
    [
        ([p(34, Gender.MAN), p(31, Gender.WOMAN), p(8), p(3)], HouseholdType.FAMILY_WITH_CHILDREN),
        ([p(29, Gender.WOMAN), p(2)], HouseholdType.SINGLE_PARENT),
        ([p(45, Gender.MAN), p(17)], HouseholdType.SINGLE_PARENT),
        ([p(40, Gender.MAN), p(38, Gender.WOMAN)], HouseholdType.COUPLE),
        ([p(22, Gender.MAN), p(19, Gender.MAN), p(50, Gender.WOMAN)], HouseholdType.COUPLE),
        ([p(25, Gender.MAN)], HouseholdType.SINGLE_MAN),
        ([p(61, Gender.WOMAN)], HouseholdType.SINGLE_WOMAN),
        ([p(30, Gender.OTHER)], HouseholdType.SINGLE_OTHER),
        ([p(30, Gender.UNKNOWN)], HouseholdType.SINGLE_OTHER),
    ],
)
def test_household_type_is_derived_from_ages_and_genders(persons, expected):
    assert household_type(persons) == expected


def test_a_person_of_eighteen_counts_as_an_adult():
    assert household_type([p(18, Gender.WOMAN)]) == HouseholdType.SINGLE_WOMAN
    assert household_type([p(40, Gender.WOMAN), p(18, Gender.MAN)]) == HouseholdType.COUPLE


def test_household_without_adult_is_refused():
    with pytest.raises(ValueError, match="at least one adult"):
        household_type([p(16), p(12)])
