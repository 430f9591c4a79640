"""Forms for matching rounds: they parse input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from welcomematch.intake.models import Household, WelcomeGroup
from welcomematch.matching import selectors, services
from welcomematch.matching.models import AdjustmentKind, Mechanism
from welcomematch.programmes.models import City, Programme


class ParticipantChoiceField(forms.ModelMultipleChoiceField):
    """Groups or households shown by reference (and name for groups) with their city."""

    def label_from_instance(self, obj: Any) -> str:
        name = f" {obj.name}" if isinstance(obj, WelcomeGroup) else ""
        return f"{obj.reference}{name} ({obj.city})"


class RoundCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    city = forms.ModelChoiceField(
        label=_("City"),
        queryset=City.objects.none(),
        required=False,
        empty_label=_("All cities"),
        help_text=_("Match only within one city, or across all cities of the programme."),
    )
    max_distance_km = forms.FloatField(
        label=_("Maximum distance (km)"),
        min_value=0.1,
        help_text=_("Group and household must live at most this far apart."),
    )
    mechanism = forms.ChoiceField(
        label=_("Mechanism"), choices=Mechanism.choices, initial=Mechanism.OPTIMAL
    )
    control_arm = forms.BooleanField(
        label=_("Randomised control arm"),
        required=False,
        initial=True,
        help_text=_(
            "Where a group has two suitable households, a fair coin makes one the match and "
            "the other the control household for the evaluation. Only with the optimal mechanism."
        ),
    )
    seed = forms.IntegerField(
        label=_("Lottery seed"),
        required=False,
        min_value=0,
        max_value=2**62,
        help_text=_(
            "Leave empty to draw one. The same seed with the same participants gives the same "
            "result, so anyone can check the round."
        ),
    )

    groups = ParticipantChoiceField(
        label=_("Only these groups (optional)"),
        queryset=WelcomeGroup.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Leave empty to include every group that is ready to match."),
    )
    households = ParticipantChoiceField(
        label=_("Only these households (optional)"),
        queryset=Household.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Leave empty to include every household that is ready to match."),
    )

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        city_field = self.fields["city"]
        assert isinstance(city_field, forms.ModelChoiceField)
        city_field.queryset = City.objects.filter(programme=programme).order_by("name")
        self.fields["max_distance_km"].initial = programme.max_distance_km
        groups_field = self.fields["groups"]
        households_field = self.fields["households"]
        assert isinstance(groups_field, forms.ModelMultipleChoiceField)
        assert isinstance(households_field, forms.ModelMultipleChoiceField)
        groups_field.queryset = selectors.groups_ready(programme=programme).select_related("city")
        households_field.queryset = selectors.households_ready(programme=programme).select_related(
            "city"
        )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the round cancelled?"),
        required=False,
        max_length=500,
        widget=forms.TextInput,
    )


class WhyNotForm(forms.Form):
    group = forms.ChoiceField(label=_("Group"))
    household = forms.ChoiceField(label=_("Household"))

    def __init__(
        self,
        *args: Any,
        groups: list[tuple[str, str]],
        households: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = groups  # type: ignore[attr-defined]
        self.fields["household"].choices = households  # type: ignore[attr-defined]


class VariantForm(forms.Form):
    """What if: the round's pool with other settings."""

    max_distance_km = forms.FloatField(label=_("Maximum distance (km)"), min_value=0.1)
    mechanism = forms.ChoiceField(label=_("Mechanism"), choices=Mechanism.choices)
    control_arm = forms.BooleanField(label=_("Randomised control arm"), required=False)


class AdjustmentForm(forms.Form):
    """An adjustment of a round before confirming: what, who, and why."""

    kind = forms.ChoiceField(label=_("Adjustment"), choices=AdjustmentKind.choices)
    group = forms.ChoiceField(label=_("Group"), required=False)
    household = forms.ChoiceField(label=_("Household"), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=1000)

    def __init__(
        self,
        *args: Any,
        groups: list[tuple[str, str]],
        households: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [("", "–"), *groups]  # type: ignore[attr-defined]
        self.fields["household"].choices = [("", "–"), *households]  # type: ignore[attr-defined]


class LotteryAuditForm(forms.Form):
    """Fairness: how many lottery draws the audit of a round runs."""

    draws = forms.IntegerField(
        label=_("Draws"),
        min_value=services.AUDIT_DRAWS_MIN,
        max_value=services.AUDIT_DRAWS_MAX,
        initial=services.AUDIT_DRAWS_DEFAULT,
        help_text=_(
            "More draws give more precise chances but take longer: each draw runs the round "
            "once more."
        ),
    )
