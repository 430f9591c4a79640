"""Web forms built from the question definitions in :mod:`welcomematch.intake.questions`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from welcomematch.intake import questions as q
from welcomematch.intake.models import ImportKind
from welcomematch.intake.services import ERR_NO_LOCATION, INVITATION_DAYS, resolve_location
from welcomematch.programmes.models import City, Programme
from welcomematch.web.presenters import choice_words

#: The geocoding errors of the services, in the visitor's language (same text as the constants).
POSTCODE_MESSAGES = {
    "postcode_format": _("%(code)s is not a Dutch postcode (use 1234 or 1234 AB)."),
    "postcode_unknown": _("Postcode %(code)s is not in the postcode table."),
    "postcode_table_empty": _(
        "No postcode table is loaded. Load one with: welcomematch postcodes load NL.txt "
        "(a GeoNames postal-code dump), or enter coordinates directly."
    ),
}
ERR_RANK_DUPLICATE = _("Each choice may appear only once in the ranking.")
ERR_RANK_INCOMPLETE = _("Rank every option.")
ERR_JSON_INVALID = _("Not valid JSON: %(error)s")
ERR_JSON_OBJECT = _("Give a JSON object.")


class RankWidget(forms.MultiWidget):
    """One select per position (1st, 2nd, ...): works without JavaScript and on a phone."""

    template_name = "intake/widgets/rank.html"

    def __init__(self, options: Sequence[tuple[str, str]]) -> None:
        empty = [("", "—"), *options]
        super().__init__([forms.Select(choices=empty) for _ in options])

    def decompress(self, value: Any) -> list[Any]:
        values = list(value or [])
        return values + [""] * (len(self.widgets) - len(values))

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        """Each select named by its position ("1st choice") for screen readers; the list's
        legend names the question."""
        context = super().get_context(name, value, attrs)
        for position, subwidget in enumerate(context["widget"]["subwidgets"]):
            subwidget["attrs"] = {**subwidget["attrs"], "aria-label": choice_words(position)}
        return context


class RankField(forms.MultiValueField):
    def __init__(self, options: Sequence[tuple[str, str]], *, required: bool, **kwargs: Any):
        self.options = list(options)
        codes = [(c, c) for c, _label in options]
        super().__init__(
            fields=[forms.ChoiceField(choices=codes, required=False) for _o in options],
            widget=RankWidget(options),
            required=required,
            require_all_fields=False,
            **kwargs,
        )

    def compress(self, data_list: list[str]) -> list[str]:
        chosen = [code for code in data_list if code]
        if len(set(chosen)) != len(chosen):
            raise ValidationError(ERR_RANK_DUPLICATE)
        if self.required and len(chosen) != len(self.options):
            raise ValidationError(ERR_RANK_INCOMPLETE)
        return chosen

    def clean(self, value: Any) -> list[str]:
        if self.required and not any(value or []):
            raise ValidationError(self.error_messages["required"], code="required")
        return self.compress([v for v in (value or [])])


def field_for(question: q.Question, *, force_optional: bool = False) -> forms.Field:
    """The Django form field for one question, labelled in the active language."""
    required = question.required and not force_optional
    common: dict[str, Any] = {
        "label": question.label,
        "required": required,
        "help_text": question.hint,
    }
    kind = question.kind
    if kind == q.TEXT:
        return forms.CharField(max_length=200, **common)
    if kind == q.EMAIL:
        return forms.EmailField(**common)
    if kind == q.TEXTAREA:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
    if kind == q.INTEGER:
        return forms.IntegerField(
            min_value=None if question.minimum is None else int(question.minimum),
            max_value=None if question.maximum is None else int(question.maximum),
            **common,
        )
    if kind == q.DECIMAL:
        return forms.FloatField(min_value=question.minimum, max_value=question.maximum, **common)
    if kind == q.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    options = [(c.code, c.label) for c in q.choices(question.choices)] if question.choices else []
    if kind == q.SELECT_ONE:
        widget: type[forms.Widget] = forms.RadioSelect if len(options) <= 4 else forms.Select
        choices = options if widget is forms.RadioSelect else [("", "—"), *options]
        return forms.ChoiceField(choices=choices, widget=widget, **common)
    if kind == q.SELECT_MULTIPLE:
        return forms.MultipleChoiceField(
            choices=options, widget=forms.CheckboxSelectMultiple, **common
        )
    if kind == q.RANK:
        return RankField(options, **common)
    if kind in (q.BOOLEAN, q.ACKNOWLEDGE):
        return forms.BooleanField(**common)
    raise ValueError(f"unknown question kind {kind!r}")


def json_ready(value: Any) -> Any:
    """Form values as JSON (drafts are stored in a JSONField)."""
    if isinstance(value, date):
        return value.isoformat()
    return value


class QuestionForm(forms.Form):
    """A form for some questions of a questionnaire."""

    questions: tuple[q.Question, ...] = ()
    checks_location = False

    def __init__(
        self, *args: Any, questions: Sequence[q.Question] = (), country: str = "NL", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.questions = tuple(questions)
        self.country = country
        for question in self.questions:
            self.fields[question.name] = field_for(question)
        self.checks_location = "postcode" in self.fields
        if self.checks_location:
            # Not optional: a postcode or coordinates are needed; shown without "(optional)".
            self.fields["postcode"].needs_one_of = True  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.checks_location and not self.errors:
            postcode = data.get("postcode") or ""
            lat, lon = data.get("latitude"), data.get("longitude")
            if not postcode and (lat is None or lon is None):
                self.add_error("postcode", ERR_NO_LOCATION)
            else:
                try:
                    data["postcode"], _lat, _lon = resolve_location(
                        postcode=postcode, latitude=lat, longitude=lon, country=self.country
                    )
                except ValidationError as error:
                    code = getattr(error, "code", None) or ""
                    if code in POSTCODE_MESSAGES:
                        shown = POSTCODE_MESSAGES[code] % {"code": postcode.strip().upper()}
                        self.add_error("postcode", str(shown))
                    else:
                        self.add_error("postcode", error.messages)
        return data

    def answers(self) -> dict[str, Any]:
        return {name: json_ready(self.cleaned_data.get(name)) for name in self.fields}


class RepeatRowForm(forms.Form):
    """One row of a repeat (a group member, a household person); ``id`` (hidden) is the saved
    row it shows, so an edit keeps the row's identity."""

    def __init__(self, *args: Any, questions: Sequence[q.Question] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["id"] = forms.IntegerField(required=False, widget=forms.HiddenInput)
        for question in questions:
            self.fields[question.name] = field_for(question)


class BaseRepeatFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, questions: Sequence[q.Question] = (), **kwargs: Any) -> None:
        self.questions = tuple(questions)
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {"questions": self.questions}

    def _kept(self, index: int, form: forms.Form) -> bool:
        if self.can_delete and self._should_delete_form(form):  # type: ignore[attr-defined]
            return False
        # A row shown with saved answers counts even when it was left as it was.
        return bool(form.cleaned_data) and (index < self.initial_form_count() or form.has_changed())

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                name: json_ready(value)
                for name, value in form.cleaned_data.items()
                if name != "DELETE" and not (name == "id" and value is None)
            }
            for index, form in enumerate(self.forms)
            if self._kept(index, form)
        ]


def repeat_formset(
    questionnaire: q.Questionnaire,
    section: str,
    *,
    data: Any = None,
    initial: Sequence[dict[str, Any]] = (),
    extra_rows: int = 1,
    minimum_rows: int = 3,
    can_delete: bool = False,
) -> BaseRepeatFormSet:
    """The rows of a repeat section: as many as there are (no fixed number), plus blank ones;
    with ``can_delete``, each saved row has a "Remove" box."""
    extra = max(extra_rows, minimum_rows - len(initial))
    formset_class = forms.formset_factory(
        RepeatRowForm,
        formset=BaseRepeatFormSet,
        extra=extra,
        min_num=1,
        validate_min=True,
        can_delete=can_delete,
        can_delete_extra=False,
        max_num=200,
        absolute_max=200,
    )
    return formset_class(  # type: ignore[return-value]
        data=data,
        initial=list(initial),
        prefix=section,
        questions=questionnaire.in_section(section),  # type: ignore[call-arg]
    )


def with_added_row(data: Any, prefix: str) -> Any:
    """The posted data with one more (blank) row of repeat ``prefix``: the "add a row" button
    that works without JavaScript."""
    copied = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    try:
        total = int(copied.get(key, 0))
    except (TypeError, ValueError):
        total = 0
    copied[key] = str(min(total + 1, 200))
    return copied


# --- coordinator forms -------------------------------------------------------------------


#: How an invitation link reaches the group: e-mailed by the application, or shown to copy.
DELIVERY_EMAIL, DELIVERY_SHOW = "email", "show"
ERR_DELIVERY_ADDRESS = _("Give the e-mail address to send the link to, or choose to only show it.")


def _delivery_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("The link"),
        choices=[
            (DELIVERY_EMAIL, _("Send it by e-mail to the group's contact address")),
            (DELIVERY_SHOW, _("Only show it to me (I send it myself)")),
        ],
        initial=DELIVERY_SHOW,
        required=False,
        widget=forms.RadioSelect,
    )


def _language_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Language of the e-mail"), choices=settings.LANGUAGES, required=False
    )


class GroupInviteForm(forms.Form):
    name = forms.CharField(label=_("Group name"), max_length=200)
    city = forms.ModelChoiceField(label=_("City"), queryset=City.objects.none())
    contact_email = forms.EmailField(label=_("Contact e-mail (optional)"), required=False)
    days = forms.IntegerField(
        label=_("Link valid for (days)"), min_value=1, max_value=90, initial=INVITATION_DAYS
    )
    delivery = _delivery_field()
    language = _language_field()

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["city"].queryset = City.objects.filter(programme=programme)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("delivery") == DELIVERY_EMAIL and not data.get("contact_email"):
            self.add_error("contact_email", ERR_DELIVERY_ADDRESS)
        return data


class InvitationSendForm(forms.Form):
    """A new link for an existing group: e-mail it to an address, or only show it."""

    delivery = _delivery_field()
    send_to = forms.EmailField(label=_("E-mail address"), required=False)
    language = _language_field()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("delivery") == DELIVERY_EMAIL and not data.get("send_to"):
            self.add_error("send_to", ERR_DELIVERY_ADDRESS)
        return data


class CityForm(forms.Form):
    city = forms.ModelChoiceField(label=_("City"), queryset=City.objects.none())

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["city"].queryset = City.objects.filter(programme=programme)  # type: ignore[attr-defined]


class VersionForm(forms.Form):
    """The moment the record was last saved when the edit form was opened (hidden): a save
    from a form opened before someone else's save is refused instead of overwriting it."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def when(self) -> datetime | None:
        text = (self.cleaned_data.get("version") or "").strip()
        try:
            return datetime.fromisoformat(text) if text else None
        except ValueError:
            return None


class ReasonForm(forms.Form):
    """A written reason: to withdraw a participant, or to undo a withdrawal."""

    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class OverrideForm(forms.Form):
    level = forms.IntegerField(
        label=_("Level"),
        min_value=0,
        max_value=10,
        required=False,
        help_text=_("Leave empty to go back to the derived level."),
    )
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class RulesForm(forms.Form):
    vulnerability_rule = forms.CharField(
        label=_("Vulnerability rule (JSON)"), widget=forms.Textarea(attrs={"rows": 8})
    )
    capacity_rule = forms.CharField(
        label=_("Capacity rule (JSON)"), widget=forms.Textarea(attrs={"rows": 4})
    )

    def _json(self, name: str) -> dict[str, Any]:
        try:
            value = json.loads(self.cleaned_data[name])
        except json.JSONDecodeError as error:
            raise ValidationError(ERR_JSON_INVALID, params={"error": error}) from None
        if not isinstance(value, dict):
            raise ValidationError(ERR_JSON_OBJECT)
        return value

    def clean_vulnerability_rule(self) -> dict[str, Any]:
        return self._json("vulnerability_rule")

    def clean_capacity_rule(self) -> dict[str, Any]:
        return self._json("capacity_rule")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)]


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the export holds"), choices=ImportKind.choices)
    city = forms.ModelChoiceField(
        label=_("City (when the export has no city column)"), queryset=City.objects.none()
    )
    exports = MultipleFileField(
        label=_("Export files (XLSX, CSV or ZIP)"),
        help_text=_(
            "An XLSX export with its repeat sheets, ODK Central's .csv.zip, or a CSV file plus "
            "one CSV per repeat group."
        ),
    )

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["city"].queryset = City.objects.filter(programme=programme)  # type: ignore[attr-defined]

    def clean_exports(self) -> Any:
        from welcomematch.intake.importing import check_upload_sizes

        files = self.cleaned_data["exports"]
        check_upload_sizes([(f.name, f.size or 0) for f in files])
        return files


class ImportMappingForm(forms.Form):
    """The column mapping of a previewed import: one choice of question per header."""

    def __init__(
        self,
        *args: Any,
        headers: Sequence[tuple[str, str]],
        targets: dict[str, str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        options = [
            ("", _("— leave out —")),
            *((t, f"{t} · {label}") for t, label in targets.items()),
        ]
        self.headers = list(headers)
        for position, (header, current) in enumerate(self.headers):
            self.fields[f"column_{position}"] = forms.ChoiceField(
                label=header, choices=options, required=False, initial=current
            )

    def mapping(self) -> dict[str, str]:
        return {
            header: self.cleaned_data.get(f"column_{position}") or ""
            for position, (header, _current) in enumerate(self.headers)
        }
