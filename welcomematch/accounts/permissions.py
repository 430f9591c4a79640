"""Who may open what: role checks shared by every app's views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from welcomematch.accounts.models import Role
from welcomematch.accounts.scope import programme_scope

#: Roles that manage the programme and may see sensitive data (health, trauma, origin).
MANAGERS = frozenset({Role.ADMINISTRATOR, Role.COORDINATOR})
#: Roles that may read participant records at all (contact persons only the groups they call,
#: ambassadors only their own matches; see :mod:`welcomematch.accounts.scope`).
STAFF = frozenset({Role.ADMINISTRATOR, Role.COORDINATOR, Role.CONTACT_PERSON, Role.AMBASSADOR})
#: Roles that may open household records (ambassadors only their own matches' households).
HOUSEHOLD_READERS = frozenset({Role.ADMINISTRATOR, Role.COORDINATOR, Role.AMBASSADOR})
#: Roles that may read pseudonymised aggregates and research exports.
RESEARCH = frozenset({Role.ADMINISTRATOR, Role.COORDINATOR, Role.RESEARCHER})

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def has_role(user: Any, roles: frozenset[Role]) -> bool:
    """Whether ``user`` holds one of ``roles`` *and* has a programme to use it in.

    An account without a programme (or with ``Role.NONE``) holds no role at all: it sees
    nothing until an administrator gives it both (:func:`~welcomematch.accounts.scope.programme_scope`).
    """
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return bool(user.role in roles and not programme_scope(user).is_empty)


def role_required(roles: frozenset[Role]) -> Callable[[View], View]:
    """Send anonymous visitors to the login page; answer 403 to logged-in users without the role."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
