"""role_required: anonymous visitors go to the login page, the wrong role gets 403."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory

from tests.factories import make_programme, make_user
from welcomematch.accounts.models import Role
from welcomematch.accounts.permissions import MANAGERS, RESEARCH, STAFF, has_role, role_required


@role_required(MANAGERS)
def managers_only(request: Any) -> HttpResponse:
    return HttpResponse("ok")


@pytest.mark.parametrize(
    ("role", "roles", "expected"),
    [
        (Role.ADMINISTRATOR, MANAGERS, True),
        (Role.COORDINATOR, MANAGERS, True),
        (Role.AMBASSADOR, MANAGERS, False),
        (Role.RESEARCHER, MANAGERS, False),
        (Role.AMBASSADOR, STAFF, True),
        (Role.RESEARCHER, STAFF, False),
        (Role.RESEARCHER, RESEARCH, True),
        (Role.AMBASSADOR, RESEARCH, False),
    ],
)
@pytest.mark.django_db
def test_has_role(role: Role, roles: frozenset[Role], expected: bool) -> None:
    assert has_role(make_user(role, programme=make_programme()), roles) is expected


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.django_db
def test_an_account_without_a_programme_holds_no_role(role: Role) -> None:
    assert not has_role(make_user(role), STAFF | RESEARCH | MANAGERS)


def test_anonymous_has_no_role() -> None:
    from django.contrib.auth.models import AnonymousUser

    assert not has_role(AnonymousUser(), MANAGERS)


@pytest.mark.django_db
def test_role_required_redirects_anonymous_and_refuses_the_wrong_role() -> None:
    from django.contrib.auth.models import AnonymousUser

    factory = RequestFactory()
    request = factory.get("/somewhere/?x=1")
    request.user = AnonymousUser()
    response = managers_only(request)
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/somewhere/%3Fx%3D1"

    programme = make_programme()
    request.user = make_user(Role.AMBASSADOR, programme=programme)
    with pytest.raises(PermissionDenied):
        managers_only(request)

    request.user = make_user(Role.COORDINATOR)
    with pytest.raises(PermissionDenied):
        managers_only(request)

    request.user = make_user(Role.COORDINATOR, "coordinator-2", programme=programme)
    assert managers_only(request).status_code == 200


@pytest.mark.django_db
def test_superusers_pass_every_role_check() -> None:
    from welcomematch.accounts.services import user_create

    root = user_create(username="root", password="x" * 20, role=Role.RESEARCHER, is_superuser=True)
    assert has_role(root, MANAGERS)
