from __future__ import annotations

from typing import Any

import pytest

from tests.factories import make_city, make_programme, make_user
from welcomematch.accounts.models import Role
from welcomematch.intake.services import postcodes_load_bundled_demo


@pytest.fixture
def programme(db: Any) -> Any:
    return make_programme()


@pytest.fixture
def city(programme: Any) -> Any:
    return make_city(programme, "Almere")


@pytest.fixture
def postcodes(db: Any) -> int:
    return postcodes_load_bundled_demo()


@pytest.fixture
def users(programme: Any) -> dict[str, Any]:
    return {role.value: make_user(role, programme=programme) for role in Role}


@pytest.fixture(autouse=True)
def _local_key_stays_in_the_test(monkeypatch: Any) -> None:
    """The console command sets WELCOMEMATCH_LOCAL_KEY for itself; keep it out of later tests
    (such as the settings test that checks production refuses to start without a key)."""
    monkeypatch.setenv("WELCOMEMATCH_LOCAL_KEY", "true")
