"""Template context shared by every page: the version and the navigation the user may open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from welcomematch import __version__
from welcomematch.accounts.models import Role
from welcomematch.accounts.permissions import (
    HOUSEHOLD_READERS,
    MANAGERS,
    RESEARCH,
    STAFF,
    has_role,
)

#: (url name, label, roles that may open it; None = every logged-in user)
NAV_ITEMS = (
    ("web:dashboard", _("Dashboard"), None),
    ("web:group_list", _("Groups"), STAFF),
    ("web:household_list", _("Households"), HOUSEHOLD_READERS),
    ("intake:index", _("Intake"), MANAGERS),
    ("matching:round_list", _("Matching rounds"), MANAGERS),
    ("lifecycle:match_list", _("Matches"), STAFF),
    ("lifecycle:ambassador_list", _("Ambassadors"), MANAGERS),
    ("lifecycle:waiting_times", _("Waiting times"), MANAGERS),
    ("trial:overview", _("Control arm"), RESEARCH),
    ("surveys:index", _("Surveys"), MANAGERS),
    ("reports:report", _("Report"), RESEARCH),
    ("accounts:audit_list", _("Audit trail"), frozenset({Role.ADMINISTRATOR})),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    links = []
    if user is not None and user.is_authenticated:
        path = request.path
        for name, label, roles in NAV_ITEMS:
            if roles is not None and not has_role(user, roles):
                continue
            url = reverse(name)
            current = path == url if url == "/" else path.startswith(url)
            links.append({"url": url, "label": label, "current": current})
    return {"welcomematch_version": __version__, "nav_links": links}
