"""Request-wide protections: no caching of pages with personal data, and the request's origin
(who, from where) for the audit trail."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

from welcomematch.accounts.context import bind_request


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every page the application renders.

    Every dynamic page can carry personal data (record pages, lists, downloads, and the
    personal-link pages participants open without logging in), so none may be kept by a
    browser or proxy cache. Static files are answered by WhiteNoise before this middleware
    and keep their long-lived caching.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response


class AuditRequestMiddleware:
    """Make the current request's address and user known to audit events written below it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with bind_request(request):
            return self.get_response(request)
