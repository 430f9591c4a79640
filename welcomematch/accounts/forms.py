"""The audit trail's filter form (a GET form: nothing is written)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from welcomematch.accounts import selectors
from welcomematch.accounts.audit_labels import audit_action_choices, record_type_label

ANY = ("", _("All"))


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("What"), required=False)
    object_type = forms.ChoiceField(label=_("Record type"), required=False)
    object_id = forms.CharField(label=_("Record id"), required=False, max_length=64)
    actor = forms.CharField(label=_("Who (user name)"), required=False, max_length=150)
    ip_address = forms.GenericIPAddressField(label=_("From where (address)"), required=False)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        action = self.fields["action"]
        assert isinstance(action, forms.ChoiceField)
        action.choices = [ANY, *audit_action_choices(selectors.audit_actions())]
        object_type = self.fields["object_type"]
        assert isinstance(object_type, forms.ChoiceField)
        object_type.choices = [
            ANY,
            *sorted(
                ((t, record_type_label(t)) for t in selectors.audit_object_types()),
                key=lambda c: c[1].lower(),
            ),
        ]

    def filters(self) -> dict[str, Any]:
        """Cleaned input; a field with invalid input is left out, so it filters nothing."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {k: v for k, v in data.items() if v not in (None, "")}
