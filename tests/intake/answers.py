"""Complete answers to the two questionnaires, as the web forms and the importer produce them."""

from __future__ import annotations

from typing import Any

from welcomematch.core.levels import SSM_DOMAINS


def group_answers(**overrides: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "name": "De Buren van de Esplanade",
        "contact_email": "buren@example.org",
        "contact_phone": "",
        "postcode": "1315 AB",
        "latitude": None,
        "longitude": None,
        "acquaintance": "neighbours",
        "languages": ["nl", "en", "ar"],
        "motivation": "We willen iemand wegwijs maken in Almere.",
        "members": [
            {
                "first_name": "Anna",
                "age": 41,
                "gender": "woman",
                "education": "higher",
                "volunteered_with_refugees": True,
                "has_children": True,
            },
            {
                "first_name": "Bas",
                "age": 38,
                "gender": "man",
                "education": "vocational",
                "volunteered_with_refugees": False,
                "has_children": True,
            },
        ],
        "willingness": "2",
        "experience": "1",
        "ranking": [
            "family_with_children",
            "single_parent",
            "couple",
            "single_woman",
            "single_man",
            "single_other",
        ],
        "hours_per_month": 12,
        "contact_kind": "both",
        "availability": "Weekends",
        "group_type": "with_children",
        "hobbies": "",
        "consent": True,
        "non_discrimination": True,
    }
    answers.update(overrides)
    return answers


def household_answers(**overrides: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "contact_name": "Amal Haddad",
        "contact_phone": "",
        "contact_email": "",
        "postcode": "2511 CV",
        "latitude": None,
        "longitude": None,
        "interviewed_at": "2026-11-20",
        "country_of_origin": "SY",
        "housed_year": 2025,
        "languages": ["ar", "en"],
        "cefr_dutch": "A2",
        "cefr_english": "B1",
        "education": "secondary",
        "employment": "looking",
        "work_field": "health_care",
        "goals": ["language", "work"],
        "ranking": ["with_children", "mixed_ages", "young_adults", "middle_aged", "seniors"],
        "hobbies": "",
        "support_flags": ["trauma"],
        "support_notes": "",
        "wants_ambassador": True,
        "consent": True,
        "non_discrimination": True,
        "persons": [
            {"relation": "main", "age": 34, "gender": "woman"},
            {"relation": "child", "age": 6, "gender": "man"},
        ],
        **{f"ssm_{d}": "4" for d in SSM_DOMAINS},
    }
    answers["ssm_finances"] = "2"
    answers.update(overrides)
    return answers
