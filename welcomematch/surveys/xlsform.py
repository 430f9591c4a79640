"""A survey instrument as XLSForm, for offline collection in KoboToolbox or ODK Collect.

Generated from the instrument's items (the same rows the survey pages ask), so an export of
the collected data imports back with ``welcomematch survey import`` without remapping: the
items sit in a group named after the moment (export headers ``midterm/trust_match``), options
are the contract's codes, select-multiple items keep their limits as constraints. Items that
concern the match are skipped for control households through the ``trial_arm`` question.
"""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook

from welcomematch.core.scales import SCALES
from welcomematch.core.survey_answers import MAX_NUMBER, NUMBER, TEXT
from welcomematch.surveys.models import Instrument

LANGUAGES = (("en", "English (en)"), ("nl", "Nederlands (nl)"))
SURVEY_HEADERS = [
    "type",
    "name",
    *(f"label::{name}" for _code, name in LANGUAGES),
    *(f"hint::{name}" for _code, name in LANGUAGES),
    "required",
    "relevant",
    "constraint",
    "appearance",
]
CHOICE_HEADERS = ["list_name", "name", *(f"label::{name}" for _code, name in LANGUAGES)]
MOMENT_LABELS = {
    "intake": ("Intake", "Intake"),
    "midterm": ("Mid-term survey", "Tussentijdse vragenlijst"),
    "final": ("Final survey", "Eindvragenlijst"),
}
SIDE_LABELS = {
    "group_member": ("group members", "groepsleden"),
    "newcomer": ("newcomers", "nieuwkomers"),
}
ARM_CHOICES = (
    ("treatment", "Matched with a group", "Gekoppeld aan een groep"),
    ("control", "Control household", "Controlehuishouden"),
)


def _row(kind: str, name: str, en: str, nl: str, **extra: str) -> list[str]:
    return [
        kind,
        name,
        en,
        nl,
        extra.get("hint_en", ""),
        extra.get("hint_nl", ""),
        extra.get("required", ""),
        extra.get("relevant", ""),
        extra.get("constraint", ""),
        extra.get("appearance", ""),
    ]


def build_workbook(instrument: Instrument) -> Workbook:
    items = list(instrument.items.order_by("position", "pk"))
    workbook = Workbook()
    survey = workbook.active
    assert survey is not None
    survey.title = "survey"
    survey.append(SURVEY_HEADERS)
    survey.append(
        _row(
            "integer",
            "respondent",
            "Number of the personal survey link (if any)",
            "Nummer van de persoonlijke vragenlijstlink (als die er is)",
            hint_en="Leave empty for an anonymous response.",
            hint_nl="Laat leeg voor een anonieme reactie.",
        )
    )
    asks_match = any(item.concerns_match for item in items)
    if asks_match:
        survey.append(
            _row(
                "select_one trial_arm", "trial_arm", "Trial arm", "Onderzoeksgroep", required="yes"
            )
        )
    en, nl = MOMENT_LABELS.get(instrument.moment, (instrument.moment, instrument.moment))
    survey.append(_row("begin_group", instrument.moment, en, nl))
    lists: list[str] = []
    for item in items:
        text = item.text or {}
        label_en = str(text.get("en") or text.get("nl") or item.code)
        label_nl = str(text.get("nl") or text.get("en") or item.code)
        constraint = ""
        if item.scale == NUMBER:
            kind = "decimal"
            constraint = f". >= 0 and . <= {MAX_NUMBER}"
        elif item.scale == TEXT:
            kind = "text"
        else:
            scale = SCALES[item.scale]
            kind = f"{'select_multiple' if scale.multiple else 'select_one'} {scale.code}"
            if scale.multiple:
                rules = []
                if scale.max_choices is not None:
                    rules.append(f"count-selected(.) <= {scale.max_choices}")
                if "none" in scale.codes:
                    rules.append("not(selected(., 'none') and count-selected(.) > 1)")
                constraint = " and ".join(rules)
            if scale.code not in lists:
                lists.append(scale.code)
        survey.append(
            _row(
                kind,
                item.code,
                label_en,
                label_nl,
                required="yes" if item.required else "",
                relevant="${trial_arm} != 'control'" if item.concerns_match else "",
                constraint=constraint,
            )
        )
    survey.append(_row("end_group", "", "", ""))
    choices = workbook.create_sheet("choices")
    choices.append(CHOICE_HEADERS)
    for code in lists:
        for option in SCALES[code].options:
            choices.append([code, option.code, option.label("en"), option.label("nl")])
    if asks_match:
        for code, arm_en, arm_nl in ARM_CHOICES:
            choices.append(["trial_arm", code, arm_en, arm_nl])
    settings = workbook.create_sheet("settings")
    settings.append(["form_title", "form_id", "version", "default_language"])
    side_en, _side_nl = SIDE_LABELS.get(instrument.side, (instrument.side, instrument.side))
    settings.append(
        [
            f"{en} – {side_en}",
            f"welcomematch_{instrument.moment}_{instrument.side}",
            str(instrument.version),
            LANGUAGES[0][1],
        ]
    )
    return workbook


def xlsform_bytes(instrument: Instrument) -> bytes:
    buffer = io.BytesIO()
    build_workbook(instrument).save(buffer)
    return buffer.getvalue()


def xlsform_write(instrument: Instrument, path: Path) -> None:
    path.write_bytes(xlsform_bytes(instrument))
