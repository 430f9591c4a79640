"""Dutch by default, English on request; the committed catalog is complete and compiled."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path
from typing import Any

from django.urls import reverse

from welcomematch.accounts.models import Role

LOCALE = Path(__file__).resolve().parents[2] / "welcomematch/web/locale/nl/LC_MESSAGES"


def test_pages_are_dutch_by_default(client_for: Any) -> None:
    html = client_for(Role.COORDINATOR).get(reverse("web:dashboard")).content.decode()
    assert '<html lang="nl">' in html
    assert "Huishoudens" in html and "Klaar om te matchen" in html


def test_the_language_switch_turns_the_pages_english_and_back(client_for: Any) -> None:
    client = client_for(Role.COORDINATOR)
    url = reverse("web:household_list")
    response = client.post(reverse("set_language"), {"language": "en", "next": url})
    assert response.status_code == 302 and response["Location"] == url
    html = client.get(url).content.decode()
    assert '<html lang="en">' in html and "households found" in html
    client.post(reverse("set_language"), {"language": "nl", "next": url})
    assert "huishoudens gevonden" in client.get(url).content.decode()


def _po_entries(path: Path) -> dict[str, list[str]]:
    """msgid → msgstr (or the plural forms) of a .po file."""
    entries: dict[str, list[str]] = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields: dict[str, str] = {}
        key = ""
        for line in block.splitlines():
            match = re.match(r"^(msgid|msgid_plural|msgstr(?:\[\d\])?) (.*)$", line)
            if match:
                key = match.group(1)
                fields[key] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and key:
                fields[key] += ast.literal_eval(line)
        if fields.get("msgid"):
            entries[fields["msgid"]] = [
                v for k, v in sorted(fields.items()) if k.startswith("msgstr")
            ]
    return entries


def test_every_message_has_a_dutch_translation_and_the_mo_is_compiled() -> None:
    entries = _po_entries(LOCALE / "django.po")
    assert entries, "no messages found"
    with (LOCALE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for msgid, translations in entries.items():
        assert all(translations), f"untranslated: {msgid!r}"
        assert compiled.gettext(msgid) == translations[0] or len(translations) > 1, msgid
