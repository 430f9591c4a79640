import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english_messages():
    """Service messages are asserted in English; the interface default is Dutch."""
    with translation.override("en"):
        yield


@pytest.fixture
def world(db):
    from tests.participants.helpers import make_setting

    return make_setting()
