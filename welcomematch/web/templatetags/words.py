"""Template filters that put codes and numbers in words: ``{% load words %}``."""

from __future__ import annotations

from typing import Any

from django import template

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
