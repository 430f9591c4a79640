"""The control arm overview for managers and researchers. Read-only, references only."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from welcomematch.accounts import scope
from welcomematch.accounts.models import User
from welcomematch.accounts.permissions import MANAGERS, RESEARCH, has_role, role_required
from welcomematch.programmes.models import CategoryKind
from welcomematch.programmes.selectors import category_labels
from welcomematch.trial import selectors


@require_GET
@role_required(RESEARCH)
def overview(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    rounds = selectors.trial_rounds(rounds=scope.scoped_rounds(user))
    totals = selectors.aggregates(rounds=rounds)
    type_labels = category_labels(CategoryKind.HOUSEHOLD_TYPE)
    return render(
        request,
        "trial/overview.html",
        {
            "arms": selectors.arms_per_round(rounds=rounds),
            "cities": totals["city"],
            "types": [
                (type_labels(CategoryKind.HOUSEHOLD_TYPE, t.key), t)
                for t in totals["household_type"]
            ],
            "levels": totals["vulnerability"],
            "show_names": has_role(user, MANAGERS),
        },
    )
