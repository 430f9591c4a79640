"""The report page's filters: city, moment and period (GET parameters)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from welcomematch.programmes.models import City, Programme

MOMENT_CHOICES = (("midterm", _("Mid-term")), ("final", _("Final")), ("intake", _("Intake")))
ERR_PERIOD = _("The start of the period must not be after its end.")


class DateInput(forms.DateInput):
    input_type = "date"


class ReportFilterForm(forms.Form):
    moment = forms.ChoiceField(label=_("Moment"), choices=MOMENT_CHOICES, initial="midterm")
    city = forms.ModelChoiceField(
        label=_("City"), queryset=City.objects.none(), required=False, empty_label=_("All cities")
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput)

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        city_field = self.fields["city"]
        assert isinstance(city_field, forms.ModelChoiceField)
        city_field.queryset = City.objects.filter(programme=programme).order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(ERR_PERIOD)
        return data
