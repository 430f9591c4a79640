"""Forms of the participant pages: the first meeting, how it is going."""

from __future__ import annotations

import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

RATING_CHOICES = [
    (1, _("1 – badly")),
    (2, _("2")),
    (3, _("3")),
    (4, _("4")),
    (5, _("5 – very well")),
]


class FirstMeetingForm(forms.Form):
    met_on = forms.DateField(
        label=_("On which day did you meet?"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("initial", {"met_on": timezone.localdate()})
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How is it going?"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a number from 1 to 5.")},
    )
    comment = forms.CharField(
        label=_("Anything you want to tell us? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    submission_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("initial", {"submission_key": uuid.uuid4()})
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
