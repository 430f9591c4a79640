"""The intake questionnaires as XLSForm, for offline collection in KoboToolbox or ODK Collect.

Generated from :mod:`welcomematch.intake.questions`, the same definitions as the web forms,
so an export of the collected data imports back without remapping.
"""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook

from welcomematch.core.spreadsheet import xlsx_append
from welcomematch.intake import questions as q

LANGUAGES = (("nl", "Nederlands (nl)"), ("en", "English (en)"))
SURVEY_HEADERS = [
    "type",
    "name",
    *(f"label::{lang}" for _code, lang in LANGUAGES),
    *(f"hint::{lang}" for _code, lang in LANGUAGES),
    "required",
    "constraint",
    "appearance",
]
CHOICE_HEADERS = ["list_name", "name", *(f"label::{lang}" for _code, lang in LANGUAGES)]
EMAIL_CONSTRAINT = "regex(., '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$')"


def _type(question: q.Question) -> tuple[str, str, str]:
    """XLSForm type, constraint and appearance of a question."""
    kind = question.kind
    if kind == q.TEXTAREA:
        return "text", "", "multiline"
    if kind == q.EMAIL:
        return "text", EMAIL_CONSTRAINT, ""
    if kind in (q.INTEGER, q.DECIMAL):
        bounds = []
        if question.minimum is not None:
            bounds.append(f". >= {question.minimum:g}")
        if question.maximum is not None:
            bounds.append(f". <= {question.maximum:g}")
        return kind, " and ".join(bounds), ""
    if kind in (q.SELECT_ONE, q.SELECT_MULTIPLE, q.RANK):
        return f"{kind} {question.choices}", "", ""
    if kind == q.BOOLEAN:
        return "select_one yes_no", "", ""
    return kind, "", ""


def _row(question_type: str, name: str, nl: str, en: str, **extra: str) -> list[str]:
    return [
        question_type,
        name,
        nl,
        en,
        extra.get("hint_nl", ""),
        extra.get("hint_en", ""),
        extra.get("required", ""),
        extra.get("constraint", ""),
        extra.get("appearance", ""),
    ]


def build_workbook(questionnaire: q.Questionnaire, *, version: str = "1") -> Workbook:
    workbook = Workbook()
    survey = workbook.active
    assert survey is not None
    survey.title = "survey"
    xlsx_append(survey, SURVEY_HEADERS)
    lists: list[str] = []
    for section in questionnaire.sections:
        begin, end = (
            ("begin_repeat", "end_repeat") if section.repeat else ("begin_group", "end_group")
        )
        xlsx_append(
            survey,
            _row(
                begin,
                section.name,
                section.nl,
                section.en,
                appearance="field-list" if not section.repeat else "",
            ),
        )
        if section.intro_nl:
            xlsx_append(
                survey, _row("note", f"{section.name}_intro", section.intro_nl, section.intro_en)
            )
        for question in questionnaire.in_section(section.name):
            question_type, constraint, appearance = _type(question)
            xlsx_append(
                survey,
                _row(
                    question_type,
                    question.name,
                    question.nl,
                    question.en,
                    hint_nl=question.hint_nl,
                    hint_en=question.hint_en,
                    required="yes" if question.required else "",
                    constraint=constraint,
                    appearance=appearance,
                ),
            )
            list_name = "yes_no" if question.kind == q.BOOLEAN else question.choices
            if list_name and list_name not in lists:
                lists.append(list_name)
        xlsx_append(survey, _row(end, "", "", ""))
    choices = workbook.create_sheet("choices")
    xlsx_append(choices, CHOICE_HEADERS)
    for list_name in lists:
        for choice in q.choices(list_name):
            xlsx_append(choices, [list_name, choice.code, choice.nl, choice.en])
    settings = workbook.create_sheet("settings")
    xlsx_append(settings, ["form_title", "form_id", "version", "default_language"])
    xlsx_append(settings, [questionnaire.title_nl, questionnaire.form_id, version, LANGUAGES[0][1]])
    return workbook


def xlsform_bytes(questionnaire: q.Questionnaire, *, version: str = "1") -> bytes:
    buffer = io.BytesIO()
    build_workbook(questionnaire, version=version).save(buffer)
    return buffer.getvalue()


def xlsform_write(questionnaire: q.Questionnaire, path: Path, *, version: str = "1") -> None:
    path.write_bytes(xlsform_bytes(questionnaire, version=version))
