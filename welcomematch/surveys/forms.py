"""Forms of the surveys app: opening a wave, one survey page, an interview entry.

The survey questions are built from the instrument version's items (one declaration), with
option labels from ``core.scales`` and wording from each item's JSON, in the page's language.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from welcomematch.core.scales import SCALES
from welcomematch.core.survey_answers import MAX_NUMBER, NUMBER, TEXT
from welcomematch.programmes.models import City, Programme
from welcomematch.surveys.models import Item, Moment
from welcomematch.surveys.selectors import item_text
from welcomematch.surveys.services import DEFAULT_WAVE_DAYS


class WaveOpenForm(forms.Form):
    moment = forms.ChoiceField(
        label=_("Survey"),
        choices=[
            (Moment.MIDTERM, _("Mid-term survey: matches 5 to 8 months in")),
            (Moment.FINAL, _("Final survey: matches 12 months in, and their control households")),
            (Moment.INTAKE, _("Intake survey: newcomers whose intake is complete")),
        ],
    )
    city = forms.ModelChoiceField(
        label=_("City"),
        queryset=City.objects.none(),
        required=False,
        empty_label=_("All cities"),
    )
    closes_on = forms.DateField(
        label=_("Links work until"), widget=forms.DateInput(attrs={"type": "date"})
    )
    send_invitations = forms.BooleanField(
        label=_("Send each respondent their personal link by e-mail now"),
        required=False,
        initial=True,
    )
    name = forms.CharField(label=_("Name (optional)"), max_length=200, required=False)

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["city"].queryset = City.objects.filter(programme=programme)  # type: ignore[attr-defined]
        today = timezone.localdate()
        self.fields["closes_on"].initial = today + datetime.timedelta(days=DEFAULT_WAVE_DAYS)

    def closes_at(self) -> datetime.datetime:
        day: datetime.date = self.cleaned_data["closes_on"]
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59)))


def item_field(item: Item, *, language: str, required: bool) -> forms.Field:
    """The form field of one survey item, labelled in ``language``."""
    label = item_text(item, language)
    if item.scale == NUMBER:
        return forms.DecimalField(
            label=label,
            required=required,
            min_value=0,
            max_value=MAX_NUMBER,
            decimal_places=1,
            widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "step": 1}),
        )
    if item.scale == TEXT:
        return forms.CharField(
            label=label, required=required, widget=forms.Textarea(attrs={"rows": 4})
        )
    scale = SCALES[item.scale]
    choices = [(option.code, option.label(language)) for option in scale.options]
    if scale.multiple:
        help_text = ""
        if scale.max_choices:
            help_text = _("Choose at most %(n)s.") % {"n": scale.max_choices}
        return forms.MultipleChoiceField(
            label=label,
            required=required,
            choices=choices,
            widget=forms.CheckboxSelectMultiple,
            help_text=help_text,
        )
    return forms.ChoiceField(
        label=label, required=required, choices=choices, widget=forms.RadioSelect
    )


class ItemsForm(forms.Form):
    """Answers to some items of an instrument version (a page, or a whole interview)."""

    def __init__(
        self,
        *args: Any,
        items: Sequence[Item],
        language: str,
        enforce_required: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            self.fields[item.code] = item_field(
                item, language=language, required=enforce_required and item.required
            )

    def answers(self) -> dict[str, Any]:
        """The cleaned answers as the services take them (codes, lists, numbers, text)."""
        result: dict[str, Any] = {}
        for item in self.items:
            value = self.cleaned_data.get(item.code)
            if value is not None and item.scale == NUMBER:
                value = float(value)
            result[item.code] = value
        return result
