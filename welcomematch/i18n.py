"""Translation helpers shared by the apps."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.functional import lazy


def _format(template: Any, params: dict[str, Any]) -> str:
    return str(template) % {key: str(value) for key, value in params.items()}


_lazy_format = lazy(_format, str)


def message(template: Any, **params: Any) -> str:
    """``template % params``, translated in the language active when the message is shown.

    ``template`` is a ``gettext_lazy`` string with ``%(name)s`` placeholders; lazy ``params``
    (choice labels) are translated at the same moment.
    """
    result: str = _lazy_format(template, params)
    return result


def in_active_language(nl: str, en: str) -> str:
    """The text in the active language: English when English is active and given, else Dutch."""
    language = translation.get_language() or "nl"
    return en if language.startswith("en") and en else nl
