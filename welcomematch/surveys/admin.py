"""Administration of the survey instruments: every change makes a new version.

Saving an instrument in the admin never edits a version in place: the items as edited become
the next version (through :func:`services.instrument_new_version`), and the earlier version
stays as it was, with the responses that answered it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from welcomematch.core.scales import SCALES
from welcomematch.core.survey_answers import FREE_SCALES
from welcomematch.surveys import services
from welcomematch.surveys.models import Instrument, Item, Response, SurveyWave

SCALE_CHOICES = [(code, code) for code in (*SCALES, *FREE_SCALES)]


def _item_data(cleaned: dict[str, Any]) -> services.ItemData:
    return services.ItemData(
        code=cleaned.get("code") or "",
        scale=cleaned.get("scale") or "",
        text=cleaned.get("text") or {},
        concerns_match=bool(cleaned.get("concerns_match")),
        required=bool(cleaned.get("required")),
    )


class ItemFormSet(BaseInlineFormSet):
    def kept(self) -> list[tuple[int, services.ItemData]]:
        rows = []
        for form in self.forms:
            cleaned = getattr(form, "cleaned_data", None)
            deleted = self.can_delete and self._should_delete_form(form)  # type: ignore[attr-defined]
            if not cleaned or deleted:
                continue
            rows.append((int(cleaned.get("position") or 0), _item_data(cleaned)))
        rows.sort(key=lambda row: row[0])
        return rows

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        services.instrument_check_items([item for _pos, item in self.kept()])


class ItemForm(forms.ModelForm):
    scale = forms.ChoiceField(label=_("answer scale"), choices=SCALE_CHOICES)

    class Meta:
        model = Item
        fields = ("position", "code", "scale", "text", "concerns_match", "required")
        help_texts = {
            "text": _('Wording per language code, e.g. {"nl": "...", "en": "...", "ar": "..."}.')
        }


class ItemInline(admin.TabularInline):
    model = Item
    form = ItemForm
    formset = ItemFormSet
    extra = 1


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = ("moment", "side", "version", "is_current", "created_at", "note")
    list_filter = ("moment", "side", "is_current")
    inlines = [ItemInline]
    fields = ("moment", "side", "version", "is_current", "note")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return ["version", "is_current"]
        return ["moment", "side", "version", "is_current"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # versions are history: responses point to them

    def construct_change_message(
        self, request: HttpRequest, form: Any, formsets: Any, add: bool = False
    ) -> list[dict[str, dict[str, list[str]]]]:
        return [{"changed": {"fields": ["items (as a new version)"]}}]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Nothing is written here: :meth:`save_related` makes the new version."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        instrument = form.instance
        items = [item for fs in formsets if isinstance(fs, ItemFormSet) for _p, item in fs.kept()]
        try:
            made = services.instrument_new_version(
                moment=instrument.moment,
                side=instrument.side,
                items=items,
                actor=request.user,  # type: ignore[arg-type]
                note=form.cleaned_data.get("note", ""),
            )
        except ValidationError as error:
            messages.warning(request, " ".join(error.messages))
            if instrument.pk is None:
                current = Instrument.objects.filter(
                    moment=instrument.moment, side=instrument.side, is_current=True
                ).first()
                instrument.pk = current.pk if current else None
            return
        # The admin's log entry and redirect then refer to the new version.
        instrument.pk = made.pk
        instrument.version = made.version
        messages.success(
            request,
            _("Saved as version %(version)s; earlier versions and their responses are unchanged.")
            % {"version": made.version},
        )


@admin.register(SurveyWave)
class SurveyWaveAdmin(admin.ModelAdmin):
    list_display = ("__str__", "programme", "moment", "city", "opened_at", "closes_at")
    list_filter = ("programme", "moment")
    readonly_fields = ("opened_by",)


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ("__str__", "programme", "moment", "side", "trial_arm", "source", "submitted_at")
    list_filter = ("programme", "moment", "side", "trial_arm", "source")
    readonly_fields = [f.name for f in Response._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
