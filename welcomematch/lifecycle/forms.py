"""Forms for the match lifecycle: they parse input; the services decide."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from welcomematch.accounts.models import User
from welcomematch.lifecycle.models import (
    CheckIn,
    ContactPerson,
    CulturalAmbassador,
    JointGoal,
    MatchStatus,
)
from welcomematch.lifecycle.selectors import ambassadors_of
from welcomematch.lifecycle.services import HelperData
from welcomematch.programmes.models import CategoryKind, City, Programme
from welcomematch.programmes.selectors import category_choices

#: Match statuses in words, with a context: the model's own labels feed the services' English
#: error messages and stay untranslated until those messages are translatable.
MATCH_STATUS_LABELS = {
    MatchStatus.PROPOSED: pgettext_lazy("match status", "Proposed"),
    MatchStatus.INTRODUCED: pgettext_lazy("match status", "First meeting planned"),
    MatchStatus.ACTIVE: pgettext_lazy("match status", "Active"),
    MatchStatus.ENDED: pgettext_lazy("match status", "Ended early"),
    MatchStatus.COMPLETED: pgettext_lazy("match status", "Completed"),
}


class MatchFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *MATCH_STATUS_LABELS.items()]
    )
    city = forms.ModelChoiceField(
        label=_("City"), required=False, queryset=City.objects.none(), empty_label=_("All cities")
    )
    attention = forms.BooleanField(label=_("Needs attention"), required=False)

    def __init__(self, *args: Any, cities: QuerySet[City], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        city = self.fields["city"]
        assert isinstance(city, forms.ModelChoiceField)
        city.queryset = cities.order_by("name")


class FirstMeetingForm(forms.Form):
    when = forms.DateTimeField(
        label=_("Date and time of the first meeting"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )


class EndForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why did the match end?"))
    note = forms.CharField(
        label=_("What happened"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("A few sentences for the evaluation; no medical details."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", "—"), *category_choices(CategoryKind.END_REASON)]  # type: ignore[attr-defined]


class AmbassadorForm(forms.Form):
    ambassador = forms.ModelChoiceField(
        label=_("Cultural ambassador"),
        required=False,
        queryset=CulturalAmbassador.objects.none(),
        empty_label=_("No ambassador"),
    )

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["ambassador"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = ambassadors_of(programme=programme)


class CheckInForm(forms.Form):
    held_on = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
    )
    mode = forms.ChoiceField(
        label=_("How"), choices=CheckIn.Mode.choices, initial=CheckIn.Mode.CALL
    )
    meetings_since_last = forms.IntegerField(
        label=_("Meetings since the last check-in"), required=False, min_value=0, max_value=100
    )
    satisfaction = forms.TypedChoiceField(
        label=_("How is it going?"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            ("", "—"),
            (5, _("5 – very well")),
            (4, _("4 – well")),
            (3, _("3 – so-so")),
            (2, _("2 – not so well")),
            (1, _("1 – badly")),
        ],
    )
    concern = forms.BooleanField(label=_("Needs attention from the coordinator"), required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    #: A new key each time the form is shown: sending the same form twice records one check-in.
    submission_key = forms.UUIDField(required=False, widget=forms.HiddenInput, initial=uuid.uuid4)


class GoalForm(forms.Form):
    goal = forms.ChoiceField(label=_("Goal"))
    description = forms.CharField(
        label=_("What exactly"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    target_date = forms.DateField(
        label=_("Target date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["goal"].choices = [("", "—"), *category_choices(CategoryKind.GOAL)]  # type: ignore[attr-defined]


class GoalStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=JointGoal.Status.choices)


def language_choices() -> list[tuple[str, str]]:
    """Languages in words (from the category list), for ticking."""
    return category_choices(CategoryKind.LANGUAGE)


class HelperForm(forms.Form):
    """An ambassador or a contact person: the coordinator's form (the services decide)."""

    name = forms.CharField(label=_("Name"), max_length=200)
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Every language this person speaks besides Dutch."),
    )
    cities = forms.ModelMultipleChoiceField(
        label=_("Cities"),
        required=False,
        queryset=City.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    capacity = forms.IntegerField(label=_("Maximum number of matches"), min_value=1, initial=4)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    unavailable_until = forms.DateField(
        label=_("Unavailable until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_(
            "Leave empty when available. Gets no new matches up to and including this date."
        ),
    )
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    user = forms.ModelChoiceField(
        label=_("Login"),
        required=False,
        queryset=User.objects.none(),
        empty_label=_("No login"),
        help_text=_("With a login an ambassador sees their own matches and records check-ins."),
    )

    def __init__(
        self, *args: Any, programme: Programme, maximum_label: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["languages"].choices = [  # type: ignore[attr-defined]
            c for c in language_choices() if c[0] != "nl"
        ]
        cities = self.fields["cities"]
        assert isinstance(cities, forms.ModelMultipleChoiceField)
        cities.queryset = City.objects.filter(programme=programme).order_by("name")
        user = self.fields["user"]
        assert isinstance(user, forms.ModelChoiceField)
        user.queryset = User.objects.filter(programme=programme, is_active=True).order_by(
            "username"
        )
        if maximum_label is not None:
            self.fields["capacity"].label = maximum_label

    def data_for_service(self) -> HelperData:
        data = self.cleaned_data
        return HelperData(
            name=data["name"],
            languages=tuple(data["languages"]),
            cities=tuple(data["cities"]),
            capacity=data["capacity"],
            active=data["active"],
            unavailable_until=data["unavailable_until"],
            email=data["email"],
            phone=data["phone"],
            user=data["user"],
        )


def helper_initial(row: CulturalAmbassador | ContactPerson) -> dict[str, Any]:
    return {
        "name": row.name,
        "languages": list(row.languages),
        "cities": list(row.cities.all()),
        "capacity": row.capacity,
        "active": row.active,
        "unavailable_until": row.unavailable_until,
        "email": row.email,
        "phone": row.phone,
        "user": row.user_id,
    }


class TargetsForm(forms.Form):
    """The programme's targets for waiting times and warnings."""

    target_days = forms.IntegerField(
        label=_("Target: days from intake to first meeting"), min_value=1, max_value=365
    )
    first_meeting_days = forms.IntegerField(
        label=_("Warn when no first meeting this many days after matching"),
        min_value=1,
        max_value=365,
    )
    checkin_gap_days = forms.IntegerField(
        label=_("Warn when no check-in for more than this many days"), min_value=1, max_value=365
    )
    low_rating = forms.IntegerField(
        label=_("Warn after two ratings in a row at or below (1-5)"), min_value=1, max_value=5
    )
