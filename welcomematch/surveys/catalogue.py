"""The shipped pilot instruments, read from ``data/instruments.json`` (the one definition).

Each item is declared once with the moments and sides that ask it; :func:`shipped_instruments`
turns that into one list of items per (moment, side). The surveys app's data migration installs
them as version 1, so they apply to every programme (instruments are global). Wording is keyed
by language code: Arabic or Tigrinya is added by adding ``"ar"``/``"ti"`` keys, not a column.
This module does not import Django, so a migration can use it as it stands.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from welcomematch.core.scales import MOMENTS, SIDES
from welcomematch.core.survey_answers import is_known_scale

CATALOGUE_PATH = Path(__file__).resolve().parent / "data" / "instruments.json"
CATALOGUE_FORMAT = "welcomematch.instruments/1"
#: Languages every shipped wording must have.
REQUIRED_LANGUAGES: tuple[str, ...] = ("nl", "en")

BAD_FORMAT = "{path}: format must be {expected!r}, not {found!r}"
BAD_ITEM = "{path}: item {code!r}: {problem}"


@dataclass(frozen=True, slots=True)
class ItemDefinition:
    code: str
    scale: str
    text: dict[str, str]
    concerns_match: bool
    required: bool


@dataclass(frozen=True, slots=True)
class InstrumentDefinition:
    moment: str
    side: str
    items: tuple[ItemDefinition, ...] = field(default_factory=tuple)


def _check_item(raw: dict[str, Any], path: Path) -> None:
    code = raw.get("code", "?")

    def fail(problem: str) -> ValueError:
        return ValueError(BAD_ITEM.format(path=path, code=code, problem=problem))

    if not is_known_scale(str(raw.get("scale"))):
        raise fail(f"unknown scale {raw.get('scale')!r}")
    moments = raw.get("moments") or []
    if not moments or any(m not in MOMENTS for m in moments):
        raise fail(f"moments must be some of {MOMENTS}, not {moments!r}")
    texts = raw.get("text") or {}
    if not texts or any(side not in SIDES for side in texts):
        raise fail(f"text must be keyed by side ({SIDES}), not {sorted(texts)!r}")
    for side, wording in texts.items():
        missing = [lang for lang in REQUIRED_LANGUAGES if not (wording or {}).get(lang)]
        if missing:
            raise fail(f"wording for {side} lacks language(s) {missing}")


def load_catalogue(path: Path = CATALOGUE_PATH) -> list[dict[str, Any]]:
    """The item declarations of the catalogue file, checked."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != CATALOGUE_FORMAT:
        raise ValueError(
            BAD_FORMAT.format(path=path, expected=CATALOGUE_FORMAT, found=data.get("format"))
        )
    items: list[dict[str, Any]] = data["items"]
    seen: set[str] = set()
    for raw in items:
        _check_item(raw, path)
        if raw["code"] in seen:
            raise ValueError(BAD_ITEM.format(path=path, code=raw["code"], problem="declared twice"))
        seen.add(raw["code"])
    return items


@cache
def shipped_instruments() -> tuple[InstrumentDefinition, ...]:
    """One definition per (moment, side) the catalogue asks anything of, items in file order."""
    items = load_catalogue()
    result = []
    for moment in MOMENTS:
        for side in SIDES:
            chosen = tuple(
                ItemDefinition(
                    code=raw["code"],
                    scale=raw["scale"],
                    text=dict(raw["text"][side]),
                    concerns_match=bool(raw.get("concerns_match", False)),
                    required=bool(raw.get("required", True)),
                )
                for raw in items
                if moment in raw["moments"] and side in raw["text"]
            )
            if chosen:
                result.append(InstrumentDefinition(moment=moment, side=side, items=chosen))
    return tuple(result)


def shipped_instrument(moment: str, side: str) -> InstrumentDefinition | None:
    for definition in shipped_instruments():
        if definition.moment == moment and definition.side == side:
            return definition
    return None


def install_shipped_instruments(instrument_model: Any, item_model: Any) -> int:
    """Create version 1 of every shipped instrument that has no version yet; the count made.

    Takes the model classes as arguments so a data migration can pass its historical models.
    """
    made = 0
    for definition in shipped_instruments():
        if instrument_model.objects.filter(moment=definition.moment, side=definition.side).exists():
            continue
        instrument = instrument_model.objects.create(
            moment=definition.moment,
            side=definition.side,
            version=1,
            is_current=True,
            note="Pilot instrument (shipped)",
        )
        item_model.objects.bulk_create(
            item_model(
                instrument=instrument,
                position=position,
                code=item.code,
                scale=item.scale,
                text=dict(item.text),
                concerns_match=item.concerns_match,
                required=item.required,
            )
            for position, item in enumerate(definition.items, start=1)
        )
        made += 1
    return made
