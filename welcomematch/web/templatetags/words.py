"""Template filters that put codes and numbers in words: ``{% load words %}``."""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BaseForm, BaseFormSet
from django.utils.translation import gettext

from welcomematch.accounts.audit_details import audit_details as details_in_words
from welcomematch.accounts.audit_labels import audit_action_label, record_type_label
from welcomematch.web.presenters import choice_words

register = template.Library()


@register.filter
def audit_label(action: str) -> str:
    """``{{ event.action|audit_label }}``: the audit action in words."""
    return audit_action_label(str(action))


@register.filter
def choice(rank: int | None, ranking: Any = None) -> str:
    """``{{ p.group_rank|choice:p.group.ranking }}``: a 0-based preference rank as "1st
    choice"; "not ranked" when it is past the end of ``ranking`` (a list or its length)."""
    if rank is None or rank == "":
        return "–"
    length = len(ranking) if isinstance(ranking, list | tuple) else ranking
    return choice_words(int(rank), length)


@register.filter
def record_type(object_type: str) -> str:
    """``{{ event.object_type|record_type }}``: the kind of record in words."""
    return record_type_label(str(object_type))


@register.simple_tag(takes_context=True)
def page_query(context: dict[str, Any], param: str, number: int) -> str:
    """``?…`` of the current page with ``param`` set to ``number``: a link to another page of
    one of several paginated lists on a page."""
    query = context["request"].GET.copy()
    query[param] = str(number)
    return f"?{query.urlencode()}"


def _errors(form: Any, row: int | None = None) -> list[dict[str, str]]:
    """Every error of a form or formset: non-field errors first, then field by field, each
    field error with the id of its input (the summary links to it)."""
    if isinstance(form, BaseFormSet):
        items = [{"id": "", "label": "", "message": str(e)} for e in form.non_form_errors()]
        for number, sub in enumerate(form.forms, start=1):
            items += _errors(sub, number)
        return items
    if not isinstance(form, BaseForm) or not form.is_bound:
        return []
    items = [{"id": "", "label": "", "message": str(e)} for e in form.non_field_errors()]
    for field in form:
        label = str(field.label)
        if row is not None:
            label = gettext("%(label)s (row %(number)s)") % {"label": label, "number": row}
        items += [
            {"id": field.id_for_label or "", "label": label, "message": str(e)}
            for e in field.errors
        ]
    return items


@register.inclusion_tag("web/includes/error_summary.html")
def error_summary(*forms: Any) -> dict[str, Any]:
    """``{% error_summary form formset %}``: one list of every error at the top of a form
    page, each linking to its field (``role="alert"``); nothing when there is no error."""
    return {"items": [item for form in forms for item in _errors(form)]}


@register.inclusion_tag("web/includes/audit_details.html")
def audit_details(event: Any) -> dict[str, Any]:
    """``{% audit_details event %}``: an audit event's data in words, the technical rest in a
    closed "Technical details" block."""
    return {"details": details_in_words(str(event.action), event.data)}
