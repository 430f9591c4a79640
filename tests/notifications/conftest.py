"""A hand-worked timeline of matches for the notifications, reached through the real services.

Today is Monday 2 March 2026 (ISO week 10), noon in Europe/Amsterdam; the programme's targets
are the defaults (first meeting within 21 days, a check-in at least every 61 days, waiting at
most 42 days).

=========  =======  ===============================  =======================================
match      city     history                          what the daily run of 2 March does
=========  =======  ===============================  =======================================
match 1    Almere   made 1 Dec, met 5 Dec, check-in  no check-in for 72 days: coordinator Cora
                    20 Dec, ambassador Samira         (all cities) and Samira are reminded
match 2    Haarlem  made 1 Feb, no meeting;          no first meeting after 29 days: Cora and
                    household B has no e-mail         Hans (Haarlem) are reminded; the digests
                                                      say "tell the household yourself"
match 3    Almere   made 20 Feb, first meeting       first-meeting reminder to group C (Dutch)
                    planned 4 March 18:00            and household C (English)
=========  =======  ===============================  =======================================

Household D (Haarlem, intake 1 January) waits 60 days: beyond the target of 42.
The proposal messages of matches 1 and 2 could not be delivered (the mail server refused):
Cora's digest lists all three, Hans's only the one of match 2 (Haarlem).
"""

from __future__ import annotations

import email
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from email import policy
from pathlib import Path
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.mail.backends.smtp import EmailBackend

from tests.factories import make_city, make_group, make_household, make_programme
from welcomematch.accounts.models import Role
from welcomematch.accounts.services import user_create
from welcomematch.lifecycle import services as lifecycle
from welcomematch.mail.services import mail_send_pending

TZ = ZoneInfo("Europe/Amsterdam")
TODAY = date(2026, 3, 2)
FILE_BACKEND = "welcomematch.mail.backends.FileBackend"
SENSITIVE = "PTSD after the war in Syria"


def noon(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, 12, tzinfo=TZ)


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    """Run the real services as if it were ``moment`` (the clock, not the code, is replaced)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


class Refusing(EmailBackend):
    def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
        raise ConnectionRefusedError("mail server refused")


def read_eml(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[return-value]


@pytest.fixture
def timeline(db, settings) -> dict[str, Any]:
    programme = make_programme()
    almere = make_city(programme, "Almere")
    haarlem = make_city(programme, "Haarlem")
    strong = {"willingness": 2, "experience": 2}
    cora = user_create(
        username="cora",
        password="x-very-long-password-1",
        role=Role.COORDINATOR,
        programme=programme,
        email="cora@example.org",
        first_name="Cora",
    )
    cora.language = "en"
    cora.save(update_fields=["language"])
    hans = user_create(
        username="hans",
        password="x-very-long-password-2",
        role=Role.COORDINATOR,
        programme=programme,
        email="hans@example.org",
        first_name="Hans",
    )
    hans.language = "nl"
    hans.save(update_fields=["language"])
    hans.cities.set([haarlem])
    samira = lifecycle.ambassador_create(
        programme=programme,
        data=lifecycle.HelperData(
            name="Samira", languages=("ar",), cities=(almere,), email="samira@example.org"
        ),
        actor=None,
    )
    with at(noon(11, 1, 2025)):
        group_a = make_group(
            almere, name="Groep A", contact_email="a@example.org", languages=["en"], **strong
        )
        household_a = make_household(
            almere,
            contact_name="Amal",
            contact_email="amal@example.org",
            cefr_dutch="B1",
            country_of_origin="SY",
            support_notes=SENSITIVE,
            ssm_scores={"health": 1, "mental_health": 1},
            support_flags={"trauma": True},
        )
    with at(noon(1, 1)):
        household_d = make_household(haarlem, contact_name="Dawit")
    with at(noon(1, 20)):
        group_b = make_group(haarlem, name="Groep B", contact_email="b@example.org", **strong)
    with at(noon(1, 25)):
        household_b = make_household(haarlem, contact_name="Bilal")
    with at(noon(2, 10)):
        group_c = make_group(almere, name="Groep C", contact_email="c@example.org", **strong)
    with at(noon(2, 12)):
        household_c = make_household(
            almere, contact_name="Chaltu", contact_email="chaltu@example.org", languages=["en"]
        )

    with at(noon(12, 1, 2025)):
        match_1 = lifecycle.match_create(
            group=group_a, household=household_a, reason="hand-worked", actor=None
        )
        lifecycle.match_assign_ambassador(match=match_1, ambassador=samira, actor=None)
        lifecycle.match_plan_first_meeting(match=match_1, when=noon(12, 5, 2025), actor=None)
    with at(noon(12, 5, 2025)):
        lifecycle.match_start(match=match_1, actor=None)
    with at(noon(12, 20, 2025)):
        lifecycle.checkin_record(match=match_1, held_on=date(2025, 12, 20), actor=None)
    with at(noon(2, 1)):
        match_2 = lifecycle.match_create(
            group=group_b, household=household_b, reason="hand-worked", actor=None
        )
        settings.EMAIL_BACKEND = f"{__name__}.Refusing"
        mail_send_pending()
        settings.EMAIL_BACKEND = FILE_BACKEND
    with at(noon(2, 20)):
        match_3 = lifecycle.match_create(
            group=group_c, household=household_c, reason="hand-worked", actor=None
        )
        lifecycle.match_plan_first_meeting(
            match=match_3, when=datetime(2026, 3, 4, 18, tzinfo=TZ), actor=None
        )
    return {
        "programme": programme,
        "almere": almere,
        "haarlem": haarlem,
        "cora": cora,
        "hans": hans,
        "samira": samira,
        "match_1": match_1,
        "match_2": match_2,
        "match_3": match_3,
        "household_b": household_b,
        "household_d": household_d,
    }
