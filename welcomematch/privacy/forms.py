from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from welcomematch.privacy.models import Purpose


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices)
    given = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("yes", _("Consent given")), ("no", _("Consent withdrawn or refused"))],
        coerce=lambda value: value == "yes",
    )
    text_version = forms.CharField(label=_("Version of the consent text"), max_length=32)


class EraseForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are the data erased?"), widget=forms.Textarea(attrs={"rows": 3})
    )
