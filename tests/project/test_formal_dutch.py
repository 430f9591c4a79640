"""The Dutch pages address people in one way: the formal "u", never "je", "jij", "jouw"."""

from __future__ import annotations

import re
from pathlib import Path

import welcomematch

INFORMAL = re.compile(r"\b(je|jij|jou|jouw|jullie|jezelf)\b", re.IGNORECASE)
PO_FILES = sorted(Path(welcomematch.__file__).parent.glob("**/locale/nl/LC_MESSAGES/django.po"))


def _translations(po: Path) -> list[tuple[int, str]]:
    """``(line, text)`` of every msgstr of ``po``, continuation lines joined."""
    found: list[tuple[int, str]] = []
    current: list[str] | None = None
    start = 0
    for number, line in enumerate(po.read_text(encoding="utf-8").splitlines(), start=1):
        match = re.match(r'^msgstr(?:\[\d+\])?\s+"(.*)"$', line)
        if match:
            if current is not None:
                found.append((start, "".join(current)))
            current, start = [match.group(1)], number
        elif current is not None and line.startswith('"'):
            current.append(line[1:-1])
        elif current is not None:
            found.append((start, "".join(current)))
            current = None
    if current is not None:
        found.append((start, "".join(current)))
    return found


def test_every_app_has_a_dutch_catalogue_to_scan():
    assert len(PO_FILES) >= 8


def test_the_scanner_finds_an_informal_pronoun_across_continuation_lines(tmp_path):
    po = tmp_path / "django.po"
    po.write_text('msgid "x"\nmsgstr ""\n"Draai de ronde opnieuw voordat "\n"je bevestigt."\n')
    assert [text for _, text in _translations(po) if INFORMAL.search(text)]


def test_no_dutch_translation_uses_an_informal_pronoun():
    informal = [
        f"{po.relative_to(po.parents[4])}:{line}: {text}"
        for po in PO_FILES
        for line, text in _translations(po)
        if INFORMAL.search(text)
    ]
    assert informal == []
