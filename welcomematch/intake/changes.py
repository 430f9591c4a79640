"""A record's changes: what changed between two sets of answers, and that change in words.

A change is stored as data (question names and coded answers, :func:`answer_changes`) in
:class:`~welcomematch.intake.models.RecordChange`, and put in words only when shown
(:func:`describe`), in the reader's language, with choice labels from the questionnaire
(:mod:`welcomematch.intake.questions`, whose category lists come from ``programmes``). Answers
that are sensitive (health, support needs, origin, the derived vulnerability) or contact
details are shown only to readers allowed to see them; others read that they changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _

from welcomematch.i18n import message
from welcomematch.intake import questions as q

#: Answers that are contact details or location: shown like sensitive answers.
CONTACT_ANSWERS = frozenset(
    {"contact_name", "contact_phone", "contact_email", "postcode", "latitude", "longitude", "email"}
)
#: Derived values recorded with a change, and whether they are sensitive.
DERIVED_SENSITIVE = {"vulnerability": True, "household_type": False, "capacity": False}


def display_answer(question: q.Question, value: Any) -> str:
    """An answer as a person reads it: choice labels, lists joined, yes/no."""
    if value in (None, "", []):
        return ""
    if question.kind in (q.BOOLEAN, q.ACKNOWLEDGE):
        return _("Yes") if value else _("No")
    if question.choices:
        labels = q.choice_labels(question.choices)
        if isinstance(value, list):
            joiner = " > " if question.kind == q.RANK else ", "
            return joiner.join(labels.get(str(v), str(v)) for v in value)
        return labels.get(str(value), str(value))
    return str(value)


def _same(question: q.Question, before: Any, after: Any) -> bool:
    empty: tuple[Any, ...] = (None, "", [])
    if before in empty and after in empty:
        return True
    if question.kind in (q.BOOLEAN, q.ACKNOWLEDGE):
        return bool(before) == bool(after)
    if question.kind == q.SELECT_MULTIPLE:
        return sorted(map(str, before or [])) == sorted(map(str, after or []))
    if question.kind == q.DECIMAL and before is not None and after is not None:
        return abs(float(before) - float(after)) < 1e-9
    return bool(before == after or str(before) == str(after))


def _question_changes(
    questions: Sequence[q.Question], before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[dict[str, Any]]:
    located_by_postcode = bool(before.get("postcode") or after.get("postcode"))
    changes = []
    for question in questions:
        if question.name in ("latitude", "longitude") and located_by_postcode:
            continue  # the coordinates follow from the postcode
        old, new = before.get(question.name), after.get(question.name)
        if not _same(question, old, new):
            changes.append({"question": question.name, "before": old, "after": new})
    return changes


def _row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in row.items() if name != "id"}


def answer_changes(
    questionnaire: q.Questionnaire,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    *,
    derived: Mapping[str, tuple[Any, Any]] | None = None,
) -> list[dict[str, Any]]:
    """What changed from ``before`` to ``after`` (answers as :func:`questions.answers_from_record`
    gives them): answers changed, rows added, removed or changed (rows paired by their ``id``),
    and the derived values in ``derived`` (``{"vulnerability": (1, 2)}``) that changed."""
    changes = _question_changes(questionnaire.main_questions(), before, after)
    for part in questionnaire.repeats:
        questions = questionnaire.in_section(part.name)
        old_rows = {row.get("id"): row for row in before.get(part.name) or []}
        new_rows = {row.get("id"): row for row in after.get(part.name) or []}
        for row_id, row in old_rows.items():
            if row_id not in new_rows:
                changes.append({"section": part.name, "removed": _row(row)})
        for row_id, row in new_rows.items():
            if row_id not in old_rows:
                changes.append({"section": part.name, "added": _row(row)})
                continue
            for change in _question_changes(questions, old_rows[row_id], row):
                changes.append({"section": part.name, "row": _row(old_rows[row_id]), **change})
    for name, (old, new) in (derived or {}).items():
        if old != new:
            changes.append({"derived": name, "before": old, "after": new})
    return changes


# --- in words ----------------------------------------------------------------------------


def _texts() -> dict[str, str]:
    return {
        "changed": _("%(what)s changed from %(before)s to %(after)s"),
        "set": _("%(what)s set to %(after)s"),
        "cleared": _("%(what)s cleared (was %(before)s)"),
        "hidden": _("%(what)s changed"),
        "member_added": _("Member added: %(row)s"),
        "member_removed": _("Member removed: %(row)s"),
        "person_added": _("Person added: %(row)s"),
        "person_removed": _("Person removed: %(row)s"),
        "in_row": _("%(row)s: %(change)s"),
    }


def _is_sensitive(question: q.Question) -> bool:
    return question.sensitive or question.name in CONTACT_ANSWERS


def _row_words(questionnaire: q.Questionnaire, section: str, row: Mapping[str, Any]) -> str:
    """A row in a few words: a member by name (and age), a person by relation, age, gender."""
    if section == "members":
        name = str(row.get("first_name") or "—")
        return f"{name} ({row['age']})" if row.get("age") not in (None, "") else name
    parts = [
        display_answer(questionnaire.question(name), row.get(name))
        for name in ("relation", "age", "gender")
        if any(question.name == name for question in questionnaire.in_section(section))
    ]
    return ", ".join(part for part in parts if part)


def _derived_words(name: str) -> str:
    return {
        "vulnerability": _("Vulnerability level (derived)"),
        "household_type": _("Household type (derived)"),
        "capacity": _("Capacity level (derived)"),
    }[name]


def _derived_value(name: str, value: Any) -> str:
    if name == "household_type" and value:
        from welcomematch.intake.models import HouseholdType

        return str(dict(HouseholdType.choices).get(value, value))
    return "—" if value in (None, "") else str(value)


def _value_change(what: str, before: str, after: str, *, shown: bool) -> str:
    texts = _texts()
    if not shown:
        return str(message(texts["hidden"], what=what))
    if not before:
        return str(message(texts["set"], what=what, after=after))
    if not after:
        return str(message(texts["cleared"], what=what, before=before))
    return str(message(texts["changed"], what=what, before=before, after=after))


def describe(questionnaire: q.Questionnaire, change: Mapping[str, Any], *, sensitive: bool) -> str:
    """One stored change in words, in the active language: ``Postcode changed from 1315 AB
    to 1316 CD``, ``Person added: Child, 6, Woman``. With ``sensitive`` false, a sensitive
    answer or contact detail reads only as changed, without its values."""
    texts = _texts()
    if "derived" in change:
        name = change["derived"]
        return _value_change(
            _derived_words(name),
            _derived_value(name, change.get("before")),
            _derived_value(name, change.get("after")),
            shown=sensitive or not DERIVED_SENSITIVE.get(name, True),
        )
    section = change.get("section", "")
    kind = "member" if section == "members" else "person"
    for event in ("added", "removed"):
        if event in change:
            row = change[event]
            words = _row_words(questionnaire, section, row)
            return str(message(texts[f"{kind}_{event}"], row=words or "—"))
    question = questionnaire.question(change["question"])
    text = _value_change(
        question.label,
        display_answer(question, change.get("before")),
        display_answer(question, change.get("after")),
        shown=sensitive or not _is_sensitive(question),
    )
    if section:
        row = change.get("row") or {}
        label = _row_words(questionnaire, section, row) or questionnaire.section(section).label
        return str(message(texts["in_row"], row=label, change=text))
    return text


def describe_all(
    questionnaire: q.Questionnaire, changes: Sequence[Mapping[str, Any]], *, sensitive: bool
) -> list[str]:
    return [describe(questionnaire, change, sensitive=sensitive) for change in changes]
