"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from welcomematch import __version__


def navigation(request: HttpRequest) -> dict[str, Any]:
    return {"welcomematch_version": __version__}
