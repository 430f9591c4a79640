"""Forms of the trial page: they parse input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from welcomematch.intake.models import Household
from welcomematch.matching.models import MatchingRound
from welcomematch.trial.services import MAX_AUDIT_DRAWS, OUTCOME_PRESETS


class HouseholdChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.reference)


class RegisterEntryForm(forms.Form):
    """A deviation or a withdrawal: which household, and why (kept in the register)."""

    household = HouseholdChoiceField(label=_("Household"), queryset=Household.objects.none())
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, households: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["household"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = households


class LotteryAuditForm(forms.Form):
    round = forms.ModelChoiceField(label=_("Round"), queryset=MatchingRound.objects.none())
    draws = forms.IntegerField(
        label=_("Draws"), min_value=1, max_value=MAX_AUDIT_DRAWS, initial=200
    )

    def __init__(self, *args: Any, rounds: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["round"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = rounds


class StudyForm(forms.Form):
    """Set up the study of the programme (an administrator, once)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    starts_on = forms.DateField(
        label=_("Study period starts"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("Study period ends"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Until this day control households are not matched."),
    )
    analysis_seed = forms.IntegerField(label=_("Analysis seed"), min_value=0, initial=0)
    outcomes = forms.MultipleChoiceField(
        label=_("Outcomes of interest"),
        widget=forms.CheckboxSelectMultiple,
        choices=[(code, spec.labels["en"]) for code, spec in OUTCOME_PRESETS.items()],
        initial=["dutch_cefr_gain", "in_work_or_education"],
    )

    def __init__(self, *args: Any, language: str = "en", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["outcomes"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [
            (code, spec.labels.get(language, spec.labels["en"]))
            for code, spec in OUTCOME_PRESETS.items()
        ]
