"""Reminders and the weekly digest on the hand-worked timeline of ``conftest.py``."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.notifications.conftest import SENSITIVE, TODAY, at, noon
from welcomematch.cli import main
from welcomematch.lifecycle import services as lifecycle
from welcomematch.mail.models import OutgoingMessage
from welcomematch.notifications.models import Notice, NoticeKind
from welcomematch.notifications.services import DailyResult, notifications_daily

BASE_URL = "https://match.example.org"


def run(day: date) -> DailyResult:
    with at(noon(day.month, day.day, day.year)):
        return notifications_daily(base_url=BASE_URL, today=day)


def sent(purpose: str, **filters: Any) -> list[OutgoingMessage]:
    return list(
        OutgoingMessage.objects.filter(purpose=f"notify.{purpose}", **filters).order_by("to")
    )


def test_the_daily_run_queues_each_reminder_to_the_right_people_in_their_language(timeline):
    result = run(TODAY)
    assert (result.first_meeting, result.no_first_meeting, result.no_checkin) == (1, 1, 1)

    first = sent("first_meeting")
    assert [(m.to, m.language) for m in first] == [
        ("c@example.org", "nl"),
        ("chaltu@example.org", "en"),
    ]
    assert "woensdag 4 maart 2026 om 18:00" in first[0].body_text
    assert "Wednesday 4 March 2026 at 18:00" in first[1].body_text

    # match 2 is in Haarlem: both coordinators see it, each in their own language
    no_meeting = sent("no_first_meeting")
    assert [(m.to, m.language) for m in no_meeting] == [
        ("cora@example.org", "en"),
        ("hans@example.org", "nl"),
    ]
    assert "has had no first meeting yet" in no_meeting[0].body_text
    assert "29 dagen geleden" in no_meeting[1].body_text
    assert f"{BASE_URL}/matches/{timeline['match_2'].pk}/" in no_meeting[0].body_text

    # match 1 is in Almere: Cora (all cities) and its ambassador Samira, not Hans (Haarlem)
    no_checkin = sent("no_checkin")
    assert [m.to for m in no_checkin] == ["cora@example.org", "samira@example.org"]
    assert "72" in no_checkin[0].body_text


def test_every_event_is_notified_once_however_often_the_command_runs(timeline):
    first = run(TODAY)
    count = OutgoingMessage.objects.count()
    again = run(TODAY)
    assert (again.first_meeting, again.no_first_meeting, again.no_checkin, again.digests) == (
        0,
        0,
        0,
        0,
    )
    assert OutgoingMessage.objects.count() == count
    # the next day: same events, nothing new
    assert run(date(2026, 3, 3)).messages == 0
    proposals = OutgoingMessage.objects.filter(purpose="notify.proposal").count()
    assert first.messages == count - proposals == 8


def test_a_new_gap_after_a_new_checkin_is_a_new_event(timeline):
    run(TODAY)
    match = timeline["match_1"]
    with at(noon(3, 3)):
        lifecycle.checkin_record(match=match, held_on=date(2026, 3, 3), actor=None)
    assert run(date(2026, 4, 1)).no_checkin == 0  # 29 days: within the target
    # 63 days since 3 March (and match 3: 62 days since its first meeting on 4 March)
    assert run(date(2026, 5, 5)).no_checkin == 2
    keys = Notice.objects.filter(kind=NoticeKind.NO_CHECKIN, match=match).values_list(
        "key", flat=True
    )
    assert sorted(keys) == [
        f"no_checkin:{match.pk}:2025-12-20",
        f"no_checkin:{match.pk}:2026-03-03",
    ]


def test_the_digest_lists_what_needs_attention_in_each_coordinators_cities(timeline):
    result = run(TODAY)
    assert result.digests == 2
    cora, hans = sent("digest")
    assert (cora.to, cora.language, hans.to, hans.language) == (
        "cora@example.org",
        "en",
        "hans@example.org",
        "nl",
    )
    m1, m2 = str(timeline["match_1"]), str(timeline["match_2"])
    d = timeline["household_d"].reference
    b = timeline["household_b"].reference
    text = cora.body_text
    assert cora.subject == "Samen Hier: what needs attention this week"
    assert "3 warnings" in text
    assert f"No first meeting yet: {m2} (29 days)" in text
    assert f"No check-in for too long: {m1} (72 days)" in text
    assert f"Waiting beyond the target: {d} (60 days)" in text
    assert (
        f"{m2}: proposed 29 days ago — the household has no e-mail address: tell them yourself"
        in text
    )
    # the longest waiting, longest first: household D 60, group B 41, household B 36, ...
    waiting = text.split("Waiting longest for a first meeting")[1]
    assert waiting.index(f"{d} (Haarlem): 60 days") < waiting.index(f"{b} (Haarlem): 36 days")
    failed = text.split("E-mail that could not be delivered")[1]
    assert failed.count("mail server refused") == 3

    # Hans sees Haarlem only, in Dutch
    text = hans.body_text
    assert hans.subject == "Samen Hier: wat deze week uw aandacht vraagt"
    assert "2 waarschuwingen" in text
    assert m1 not in text
    assert f"{m2}: 29 dagen geleden voorgesteld" in text
    assert "het huishouden heeft geen e-mailadres: vertel het zelf" in text
    assert text.split("E-mail die niet kon worden bezorgd")[1].count("mail server refused") == 1


def test_one_digest_per_week(timeline):
    assert run(TODAY).digests == 2
    assert run(date(2026, 3, 6)).digests == 0
    assert run(date(2026, 3, 9)).digests == 2  # ISO week 11


def test_no_message_carries_health_trauma_vulnerability_or_origin(timeline, settings):
    run(TODAY)
    bodies = [f"{m.subject}\n{m.body_text}\n{m.body_html}" for m in OutgoingMessage.objects.all()]
    assert len(bodies) > 10
    for body in bodies:
        lowered = body.lower()
        for word in ("ptsd", "syria", "syrië", "trauma", "vulnerab", "kwetsba", "mental", "health"):
            assert word not in lowered, body
        assert SENSITIVE not in body


def test_the_command_queues_and_delivers_as_files(timeline, settings, tmp_path, capsys):
    settings.EMAIL_FILE_PATH = str(tmp_path)
    settings.EMAIL_BACKEND = "welcomematch.mail.backends.FileBackend"
    with at(noon(3, 2)):
        assert main(["send-notifications", "--no-send"]) == 0
    assert "1 first-meeting reminders" in capsys.readouterr().out
    assert not list(tmp_path.iterdir())
    with at(noon(3, 2)):
        main(["send-notifications"])
    files = list(tmp_path.iterdir())
    # everything still queued: the reminders and digests, the proposals of match 3 (the
    # earlier ones failed once and are retried now)
    assert len(files) == OutgoingMessage.objects.filter(sent_at__isnull=False).count() > 8
