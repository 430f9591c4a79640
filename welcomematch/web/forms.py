"""Search, filter and sort forms of the participant lists (GET forms: nothing is written)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from welcomematch.accounts.permissions import MANAGERS, has_role
from welcomematch.programmes.models import CategoryKind, City
from welcomematch.programmes.selectors import category_choices
from welcomematch.web.selectors import Stage

ANY: list[tuple[str, Any]] = [("", _("All"))]


class _ListFilterForm(forms.Form):
    """Shared fields; subclasses add their type filter and their sort keys."""

    #: sort key in the URL → ordering of the queryset
    SORTS: dict[str, tuple[str, ...]] = {}
    MANAGER_SORTS: frozenset[str] = frozenset()

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    city = forms.ModelChoiceField(
        label=_("City"), queryset=City.objects.none(), required=False, empty_label=_("All")
    )
    stage = forms.ChoiceField(label=_("Stage"), choices=ANY + list(Stage.choices), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False)

    def __init__(self, *args: Any, user: Any, cities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.is_manager = has_role(user, MANAGERS)
        city_field = self.fields["city"]
        assert isinstance(city_field, forms.ModelChoiceField)
        city_field.queryset = cities
        sort_field = self.fields["sort"]
        assert isinstance(sort_field, forms.ChoiceField)
        sort_field.choices = [
            (key, label)
            for key, label in self.sort_labels()
            if self.is_manager or key.lstrip("-") not in self.MANAGER_SORTS
        ]

    def sort_labels(self) -> list[tuple[str, Any]]:
        raise NotImplementedError

    def ordering(self) -> tuple[str, ...]:
        key = self.cleaned_data.get("sort") or ""
        return self.SORTS.get(key, ("reference",))

    def filters(self) -> dict[str, Any]:
        """Cleaned input; a field with invalid input is left out, so it filters nothing."""
        self.is_valid()
        return dict(self.cleaned_data)


class GroupFilterForm(_ListFilterForm):
    SORTS = {
        "reference": ("reference",),
        "-reference": ("-reference",),
        "name": ("name",),
        "city": ("city__name", "reference"),
        "stage": ("stage_rank", "reference"),
        "-created": ("-created_at",),
    }

    group_type = forms.ChoiceField(label=_("Group type"), required=False)

    field_order = ("q", "city", "stage", "group_type", "sort")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["group_type"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = ANY + category_choices(CategoryKind.GROUP_TYPE)

    def sort_labels(self) -> list[tuple[str, Any]]:
        return [
            ("reference", _("Reference (ascending)")),
            ("-reference", _("Reference (descending)")),
            ("name", _("Group name")),
            ("city", _("City")),
            ("stage", _("Stage")),
            ("-created", _("Newest first")),
        ]


class HouseholdFilterForm(_ListFilterForm):
    SORTS = {
        "reference": ("reference",),
        "-reference": ("-reference",),
        "name": ("contact_name",),
        "city": ("city__name", "reference"),
        "stage": ("stage_rank", "reference"),
        "-created": ("-created_at",),
        "-vulnerability": ("-vulnerability_level_db", "reference"),
    }
    MANAGER_SORTS = frozenset({"vulnerability"})

    household_type = forms.ChoiceField(label=_("Household type"), required=False)
    vulnerability = forms.TypedChoiceField(
        label=_("Vulnerability level"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=ANY + [(str(n), str(n)) for n in range(4)],
    )

    field_order = ("q", "city", "stage", "household_type", "vulnerability", "sort")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["household_type"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = ANY + category_choices(CategoryKind.HOUSEHOLD_TYPE)
        if not self.is_manager:
            # Not even a filter on vulnerability: it would reveal a level by elimination.
            del self.fields["vulnerability"]

    def sort_labels(self) -> list[tuple[str, Any]]:
        return [
            ("reference", _("Reference (ascending)")),
            ("-reference", _("Reference (descending)")),
            ("name", _("Contact name")),
            ("city", _("City")),
            ("stage", _("Stage")),
            ("-created", _("Newest first")),
            ("-vulnerability", _("Most vulnerable first")),
        ]
