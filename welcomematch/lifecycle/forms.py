"""Forms for the match lifecycle: they parse input; the services decide."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from welcomematch.lifecycle.models import CheckIn, CulturalAmbassador, JointGoal, MatchStatus
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
        field.queryset = CulturalAmbassador.objects.filter(programme=programme, active=True)


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
