"""Login throttling for every login that comes in through a request."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class ThrottledLoginBackend(AxesStandaloneBackend):
    """django-axes' lockout check for logins made through a request (the login page, the
    admin's login page). Authentication without a request — a management command or a
    programme's own script — is not throttled: no one can try passwords through it."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
