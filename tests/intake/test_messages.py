"""Every message an intake service can give is a translated constant, with a Dutch text."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.functional import Promise

from welcomematch.intake import services

CONSTANTS = sorted(name for name in services.__all__ if name.startswith("ERR_"))


@pytest.mark.parametrize("name", CONSTANTS)
def test_the_message_is_translatable_and_dutch_in_dutch(name: str) -> None:
    constant = getattr(services, name)
    assert isinstance(constant, Promise), f"{name} is not marked for translation"
    with translation.override("en"):
        english = str(constant)
    with translation.override("nl"):
        dutch = str(constant)
    assert dutch and dutch != english, f"{name} has no Dutch translation"


def test_a_message_with_a_parameter_is_translated_when_shown() -> None:
    from welcomematch.i18n import message

    text = message(services.ERR_POSTCODE_UNKNOWN, code="1011 AB")
    with translation.override("en"):
        assert str(text) == "Postcode 1011 AB is not in the postcode table."
    with translation.override("nl"):
        assert "1011 AB" in str(text) and str(text) != (
            "Postcode 1011 AB is not in the postcode table."
        )
