"""Reminders become mail files in each respondent's language, with a plain-text part."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

from tests.surveys.conftest import BASE_URL
from welcomematch.cli import main
from welcomematch.surveys import selectors, services


def _messages(folder: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(p.read_bytes(), policy=policy.default)  # type: ignore[misc]
        for p in sorted(folder.iterdir())
    ]


def test_reminders_are_mail_files_in_the_respondents_language(world, settings, tmp_path):
    settings.EMAIL_BACKEND = "welcomematch.mail.backends.FileBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    opened = services.wave_open(
        programme=world.programme,
        moment="midterm",
        city=world.almere,
        actor=world.coordinator,
        base_url=BASE_URL,
        send_invitations=False,
    )
    services.wave_send_reminders(wave=opened.wave, actor=world.coordinator, base_url=BASE_URL)
    assert main(["send-mail"]) == 0
    messages = _messages(tmp_path)
    assert len(messages) == len(opened.links) == 5
    member = next(m for m in messages if m["To"] == "a1@example.org")
    # both adults of a household get their own link at the household's address
    household = [m for m in messages if m["To"].startswith("a.h")]
    assert len(household) == 2
    greetings = sorted(
        m.get_body(preferencelist=("plain",)).get_content().split("\n")[0] for m in household
    )
    newcomer = next(
        m
        for m in household
        if m.get_body(preferencelist=("plain",)).get_content().startswith("Dear")
    )
    assert member["Content-Language"] == "nl" and newcomer["Content-Language"] == "en"
    assert member["Subject"] == "Herinnering: vragenlijst van Samen Hier"
    assert newcomer["Subject"] == "Reminder: Samen Hier survey"
    member_text = member.get_body(preferencelist=("plain",)).get_content()
    newcomer_text = newcomer.get_body(preferencelist=("plain",)).get_content()
    assert member_text.startswith("Beste A1,") and "tussentijdse vragenlijst" in member_text
    assert "wilt u" in member_text.lower()  # formal Dutch
    assert "mid-term survey" in newcomer_text
    assert greetings == [f"Dear {newcomer['To'][0].upper()} H{newcomer['To'][3]},", "Hello,"]
    # the link in the mail opens that respondent's survey
    link = next(w for w in newcomer_text.split() if w.startswith(BASE_URL))
    token = link.rstrip("/").rsplit("/", 1)[1]
    respondent = selectors.respondent_for_token(token)
    assert respondent.household.contact_email == "a.h1@example.org"


def test_send_reminders_command_reminds_at_most_once_per_period(world, settings, tmp_path, capsys):
    settings.EMAIL_BACKEND = "welcomematch.mail.backends.FileBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    services.wave_open(
        programme=world.programme,
        moment="midterm",
        city=world.utrecht,
        actor=world.coordinator,
        base_url=BASE_URL,
        send_invitations=False,
    )
    assert main(["send-reminders", "--programme", world.programme.slug]) == 0
    assert "5 reminders queued" in capsys.readouterr().out
    assert main(["send-reminders"]) == 0
    assert "0 reminders queued" in capsys.readouterr().out
    assert len(list(tmp_path.iterdir())) == 5
    assert main(["send-reminders", "--programme", "nope"]) == 2
