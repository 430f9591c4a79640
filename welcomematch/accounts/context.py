"""Where a request comes from, for the audit trail (who, when, what, from where)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.http import HttpRequest

_current_ip: ContextVar[str | None] = ContextVar("welcomematch_request_ip", default=None)


def client_ip(request: HttpRequest) -> str | None:
    """The address the request came from (``REMOTE_ADDR``: set by the server, not the client)."""
    return request.META.get("REMOTE_ADDR") or None


@contextmanager
def bind_request(request: HttpRequest) -> Iterator[None]:
    token = _current_ip.set(client_ip(request))
    try:
        yield
    finally:
        _current_ip.reset(token)


def current_ip() -> str | None:
    """The address of the request being handled, or None outside a request (commands, tasks)."""
    return _current_ip.get()
