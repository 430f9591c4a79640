"""What a user may see: one programme scope, used by every page, export, command and task.

The rule, in one place:

* an anonymous, inactive or role-less account (``Role.NONE``) sees nothing;
* a superuser sees every programme;
* everyone else sees only the programme their account is given, and — when the account
  lists some of its cities — only those cities; an account without a programme sees nothing
  until an administrator assigns one;
* within that scope the role decides which records: administrators and coordinators every
  group, household, match and round; a contact person the groups they call and those groups'
  matches; a cultural ambassador only the matches assigned to them (and that match's group and
  household); a researcher only aggregate figures (no record pages).

Records outside the programme scope answer "not found" (their existence is not revealed);
records inside it that the role may not open answer "forbidden" (:func:`get_visible_or_deny`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

from welcomematch.accounts.models import Role
from welcomematch.programmes.models import City, Programme

M = TypeVar("M", bound=Model)

#: Roles that manage a programme: every record of their scope, sensitive sections included.
MANAGER_ROLES = frozenset({Role.ADMINISTRATOR, Role.COORDINATOR})
#: Attribute under which a user object caches its scope for the length of a request.
_CACHE = "_welcomematch_programme_scope"


@dataclass(frozen=True)
class ProgrammeScope:
    """The programmes (``None``: all) and cities (``None``: all of them) a user may see."""

    programme_ids: frozenset[int] | None
    city_ids: frozenset[int] | None
    role: str
    user_id: int | None
    superuser: bool = False

    @property
    def is_empty(self) -> bool:
        return self.programme_ids is not None and not self.programme_ids

    @property
    def manages(self) -> bool:
        """Administrators and coordinators (and superusers) manage the records of the scope."""
        return not self.is_empty and (self.superuser or self.role in MANAGER_ROLES)

    @property
    def programmes(self) -> QuerySet[Programme]:
        return self.filter(Programme.objects.all(), programme="pk", city=None)

    @property
    def cities(self) -> QuerySet[City]:
        return self.filter(City.objects.all(), programme="programme", city="pk").order_by("name")

    def filter(
        self, qs: QuerySet[M], *, programme: str = "programme", city: str | None = "city"
    ) -> QuerySet[M]:
        """``qs`` reduced to the scope; ``programme``/``city`` name the lookups to filter on."""
        if self.is_empty:
            return qs.none()
        if self.programme_ids is not None:
            qs = qs.filter(**{f"{programme}__in": self.programme_ids})
        if self.city_ids is not None and city is not None:
            qs = qs.filter(**{f"{city}__in": self.city_ids})
        return qs


EMPTY = ProgrammeScope(
    programme_ids=frozenset(), city_ids=frozenset(), role=Role.NONE, user_id=None
)


def programme_scope(user: Any) -> ProgrammeScope:
    """The one definition of what ``user`` may see (cached on the user object)."""
    cached = getattr(user, _CACHE, None)
    if cached is not None:
        return cached
    scope = _compute_scope(user)
    if getattr(user, "pk", None) is not None:
        setattr(user, _CACHE, scope)
    return scope


def _compute_scope(user: Any) -> ProgrammeScope:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return EMPTY
    if user.is_superuser:
        return ProgrammeScope(
            programme_ids=None, city_ids=None, role=user.role, user_id=user.pk, superuser=True
        )
    if user.role == Role.NONE or not user.programme_id:
        return ProgrammeScope(
            programme_ids=frozenset(), city_ids=frozenset(), role=user.role, user_id=user.pk
        )
    city_ids = frozenset(
        user.cities.filter(programme_id=user.programme_id).values_list("pk", flat=True)
    )
    return ProgrammeScope(
        programme_ids=frozenset({user.programme_id}),
        city_ids=city_ids or None,
        role=user.role,
        user_id=user.pk,
    )


def forget_scope(user: Any) -> None:
    """Drop the cached scope (after the user's role, programme or cities changed)."""
    if hasattr(user, _CACHE):
        delattr(user, _CACHE)


def working_programme(user: Any) -> Programme | None:
    """The programme in which ``user`` creates records: their own; a superuser without one
    works in the oldest programme. ``None`` when the user has no programme in scope."""
    scope = programme_scope(user)
    if scope.is_empty:
        return None
    own = getattr(user, "programme", None)
    if own is not None:
        return own
    return scope.programmes.order_by("pk").first()


# --- records a user may open ---------------------------------------------------------------


def _models() -> tuple[Any, Any, Any, Any]:
    # The apps below depend on accounts; import them lazily to keep the app graph acyclic.
    from welcomematch.intake.models import Household, WelcomeGroup
    from welcomematch.lifecycle.models import Match
    from welcomematch.matching.models import MatchingRound

    return WelcomeGroup, Household, Match, MatchingRound


def scoped_groups(user: Any) -> QuerySet[Any]:
    """Every group of the user's programme scope, whatever the role (for counts and 403/404)."""
    group_model = _models()[0]
    return programme_scope(user).filter(group_model.objects.all())


def scoped_households(user: Any) -> QuerySet[Any]:
    household_model = _models()[1]
    return programme_scope(user).filter(household_model.objects.all())


def scoped_matches(user: Any) -> QuerySet[Any]:
    match_model = _models()[2]
    return programme_scope(user).filter(
        match_model.objects.all(), programme="household__programme", city="household__city"
    )


def scoped_rounds(user: Any) -> QuerySet[Any]:
    """Rounds of the scope; a city-bound user sees only rounds of their cities."""
    round_model = _models()[3]
    return programme_scope(user).filter(round_model.objects.all())


def visible_matches(user: Any) -> QuerySet[Any]:
    """Matches ``user`` may open: managers all of the scope, contact persons their groups',
    ambassadors those assigned to them; anyone else none."""
    scope = programme_scope(user)
    qs = scoped_matches(user)
    if scope.manages:
        return qs
    if scope.role == Role.AMBASSADOR:
        return qs.filter(ambassador__user_id=scope.user_id)
    if scope.role == Role.CONTACT_PERSON:
        return qs.filter(group__contact_person__user_id=scope.user_id)
    return qs.none()


def visible_groups(user: Any) -> QuerySet[Any]:
    """Groups ``user`` may open: managers all of the scope, contact persons the groups they
    call, ambassadors the groups of their matches."""
    scope = programme_scope(user)
    qs = scoped_groups(user)
    if scope.manages:
        return qs
    if scope.role == Role.CONTACT_PERSON:
        return qs.filter(contact_person__user_id=scope.user_id)
    if scope.role == Role.AMBASSADOR:
        return qs.filter(pk__in=visible_matches(user).values("group_id"))
    return qs.none()


def visible_households(user: Any) -> QuerySet[Any]:
    """Households ``user`` may open: managers all of the scope, ambassadors their matches'."""
    scope = programme_scope(user)
    qs = scoped_households(user)
    if scope.manages:
        return qs
    if scope.role == Role.AMBASSADOR:
        return qs.filter(pk__in=visible_matches(user).values("household_id"))
    return qs.none()


def visible_rounds(user: Any) -> QuerySet[Any]:
    """Matching rounds: for managers only."""
    return scoped_rounds(user) if programme_scope(user).manages else scoped_rounds(user).none()


def get_visible_or_deny(visible: QuerySet[M], scoped: QuerySet[M], pk: Any) -> M:
    """The record if ``visible`` holds it; 403 if it is in the user's programme scope but not
    for this role; 404 otherwise (another programme's records are not revealed)."""
    found = visible.filter(pk=pk).first()
    if found is not None:
        return found
    if scoped.filter(pk=pk).exists():
        raise PermissionDenied
    raise Http404
