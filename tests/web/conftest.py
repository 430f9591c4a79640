from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.web.helpers import make_world
from welcomematch.accounts.models import Role


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    return make_world()


@pytest.fixture
def client_for(world: dict[str, Any]) -> Any:
    """``client_for(role)`` → a test client logged in as that role's user (None: anonymous)."""

    def make(role: Role | None) -> Client:
        client = Client()
        if role is not None:
            client.force_login(world["users"][role])
        return client

    return make
