"""An audit event's data in words: the one place the audit page, the record pages' audit
blocks and the match and round audit blocks use to show "Details". Known keys become
sentences (statuses and languages as their labels, the page read by name, the reason, the
fields changed); the rest is technical and shown only inside a "Technical details" block."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.apps import apps
from django.conf import settings
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

#: The pages and downloads an audited read names (``audit_read(what=...)``), in words.
READ_WHAT_LABELS: dict[str, Promise] = {
    "web:group_detail": _("the Welcome Group's page"),
    "web:household_detail": _("the household's page"),
    "intake:group_detail": _("the Welcome Group's intake record"),
    "intake:household_detail": _("the household's intake record"),
    "participant:page": _("the participant's personal page"),
}

#: The files an audited download names (``what="download:..."``), in words.
DOWNLOAD_LABELS: dict[str, Promise] = {
    "download:person_export": _("all data of the person"),
    "download:input": _("the round's input file"),
    "download:result": _("the round's result file"),
}

#: Per action prefix: the model field whose choices name the ``from``/``to`` values.
_STATUS_FIELDS: dict[str, tuple[str, str]] = {
    "match.goal_status": ("lifecycle.JointGoal", "status"),
    "match.": ("lifecycle.Match", "status"),
    "round.": ("matching.Round", "status"),
}


@dataclass
class AuditDetails:
    """``words``: sentences for every reader; ``technical``: ``(key, value)`` of the rest."""

    words: list[str] = field(default_factory=list)
    technical: list[tuple[str, str]] = field(default_factory=list)


def _choice_label(model: str, name: str, value: object) -> str | None:
    try:
        choices = dict(apps.get_model(model)._meta.get_field(name).flatchoices)
    except (LookupError, ValueError):
        return None
    label = choices.get(value)
    return None if label is None else str(label)


def _moment(value: object) -> str | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if len(value) == 10:
        return str(formats.date_format(moment.date(), "DATE_FORMAT"))
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return str(formats.date_format(moment, "DATETIME_FORMAT"))


def _value_words(action: str, value: object) -> str:
    """A ``from``/``to`` value in words: a status label, a language name or a date."""
    if value is None or value == "":
        return gettext("nothing")
    if action == "user.language":
        return str(dict(settings.LANGUAGES).get(str(value), value))
    for prefix, (model, name) in _STATUS_FIELDS.items():
        if action.startswith(prefix):
            label = _choice_label(model, name, value)
            if label is not None:
                return label
            break
    return _moment(value) or str(value)


def _field_name(key: str) -> str:
    return key.replace("_", " ")


def audit_details(action: str, data: dict[str, Any] | None) -> AuditDetails:
    """The data of an audit event with ``action`` in words (see the module docstring)."""
    details = AuditDetails()
    data = dict(data or {})
    if "from" in data or "to" in data:
        details.words.append(
            gettext("from %(before)s to %(after)s")
            % {
                "before": _value_words(action, data.pop("from", None)),
                "after": _value_words(action, data.pop("to", None)),
            }
        )
    if "what" in data:
        what = str(data.pop("what"))
        if what.startswith("download:"):
            label = DOWNLOAD_LABELS.get(what) or _("a file")
            details.words.append(gettext("Downloaded: %(file)s") % {"file": label})
        else:
            label = READ_WHAT_LABELS.get(what) or _("a page")
            details.words.append(gettext("Opened: %(page)s") % {"page": label})
        if what not in READ_WHAT_LABELS and what not in DOWNLOAD_LABELS:
            details.technical.append(("what", what))
    if data.pop("sensitive", False):
        details.words.append(gettext("with personal data"))
    reason = data.pop("reason", None)
    if reason:
        details.words.append(gettext("Reason: %(reason)s") % {"reason": reason})
    changed = data.pop("changed", None)
    if isinstance(changed, dict):
        if changed:
            names = ", ".join(_field_name(str(k)) for k in changed)
            details.words.append(gettext("Changed: %(fields)s") % {"fields": names})
            details.technical.append(("changed", str(changed)))
        else:
            details.words.append(gettext("Nothing changed"))
    details.technical += [(str(k), str(v)) for k, v in data.items()]
    return details
