"""Proposals to both sides of a new match, invitations by e-mail, delivery as a task."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_city, make_group, make_household, make_programme, make_user
from tests.notifications.conftest import FILE_BACKEND, read_eml
from welcomematch.accounts.models import Role
from welcomematch.intake.models import GroupInvitation
from welcomematch.intake.services import invitation_token_hash
from welcomematch.lifecycle import services as lifecycle
from welcomematch.lifecycle.models import Match
from welcomematch.mail.models import OutgoingMessage
from welcomematch.mail.services import mail_send_pending
from welcomematch.matching import services as matching
from welcomematch.matching.jobs import round_job_start
from welcomematch.matching.models import JobKind
from welcomematch.notifications.models import Notice, NoticeKind
from welcomematch.trial.models import ControlAssignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    programme = make_programme()
    almere = make_city(programme, "Almere")
    coordinator = make_user(Role.COORDINATOR, programme=programme)
    group = make_group(
        almere,
        name="De Buren",
        contact_email="buren@example.org",
        languages=["en"],
        willingness=2,
        experience=2,
    )
    households = [
        make_household(
            almere,
            lat=52.37 + 0.002 * n,
            contact_name=f"Huishouden {n}",
            contact_email=f"h{n}@example.org",
            cefr_dutch="B1",
        )
        for n in (1, 2)
    ]
    return {
        "programme": programme,
        "almere": almere,
        "coordinator": coordinator,
        "group": group,
        "households": households,
    }


def proposed_round(world: dict[str, Any]):  # type: ignore[no-untyped-def]
    rnd = matching.round_create(
        programme=world["programme"], name="R", actor=None, control_arm=True, seed=7
    )
    return matching.round_run(round=rnd, actor=None)


def test_a_confirmed_round_tells_the_group_and_the_household_each_in_their_language_and_the_control_household_nothing(
    world, settings, tmp_path: Path, django_capture_on_commit_callbacks
) -> None:
    rnd = proposed_round(world)
    settings.EMAIL_BACKEND = FILE_BACKEND
    settings.EMAIL_FILE_PATH = str(tmp_path)
    # the worker's path: the news is queued by a task once the confirmation has committed, and
    # delivered by the mail task once that has committed
    with django_capture_on_commit_callbacks(execute=True):
        round_job_start(round=rnd, kind=JobKind.CONFIRM, actor=world["coordinator"])
    match = Match.objects.get(round=rnd)
    control = ControlAssignment.objects.get(round=rnd).household
    proposals = OutgoingMessage.objects.filter(purpose="notify.proposal").order_by("to")
    assert sorted((m.to, m.language) for m in proposals) == sorted(
        [("buren@example.org", "en"), (match.household.contact_email, "nl")]
    )
    assert not OutgoingMessage.objects.filter(to=control.contact_email).exists()
    assert Notice.objects.get(kind=NoticeKind.PROPOSAL, match=match).unreached == []

    assert all(m.sent_at is not None for m in proposals)
    assert mail_send_pending().sent == 0
    mails = {str(m["To"]): m for m in map(read_eml, tmp_path.iterdir())}
    group_mail = mails["buren@example.org"]
    assert group_mail["Content-Language"] == "en"
    assert "matched your Welcome Group" in group_mail.get_body(("plain",)).get_content()
    household_mail = mails[match.household.contact_email]
    assert household_mail["Content-Language"] == "nl"
    assert household_mail["Subject"] == "Samen Hier: een Welkomstgroep voor u"
    body = household_mail.get_body(("plain",)).get_content()
    assert "Beste Huishouden" in body and "De coördinator neemt contact met u op" in body
    # nothing that reveals an arm, a lottery or a control group
    for mail in mails.values():
        text = mail.get_body(("plain",)).get_content().lower()
        for word in ("control", "lottery", "random", "loting", "onderzoek", "research"):
            assert word not in text


def test_the_confirm_page_says_exactly_who_gets_a_message_and_whom_to_tell(world) -> None:
    group = world["group"]
    group.contact_email = ""
    group.save(update_fields=["contact_email"])
    rnd = proposed_round(world)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world["coordinator"])
    page = client.get(reverse("matching:round_confirm", args=[rnd.pk])).content.decode()
    assert "1 message is sent by e-mail to the groups and households with an e-mail address" in page
    assert "1 has no e-mail address — tell them yourself (in person or by phone):" in page
    assert f"<li>{group.reference}</li>" in page


def test_a_pair_made_outside_a_round_is_told_and_a_household_without_address_is_recorded(
    world,
) -> None:
    household = world["households"][0]
    household.contact_email = ""
    household.save(update_fields=["contact_email"])
    match = lifecycle.match_create(
        group=world["group"], household=household, reason="rematch", actor=world["coordinator"]
    )
    assert list(OutgoingMessage.objects.values_list("to", "purpose")) == [
        ("buren@example.org", "notify.proposal")
    ]
    notice = Notice.objects.get(match=match)
    assert (notice.messages, notice.unreached) == (1, ["household"])


def test_mail_is_delivered_by_a_task_after_the_commit(
    world, settings, tmp_path: Path, django_capture_on_commit_callbacks
) -> None:
    settings.EMAIL_BACKEND = FILE_BACKEND
    settings.EMAIL_FILE_PATH = str(tmp_path)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        lifecycle.match_create(
            group=world["group"], household=world["households"][0], reason="x", actor=None
        )
    # two messages, one delivery task, nothing delivered before the commit
    assert OutgoingMessage.objects.filter(sent_at__isnull=True).count() == 2
    assert len(callbacks) == 1
    assert not list(tmp_path.iterdir())
    callbacks[0]()  # the commit: the (immediate) task backend delivers at once
    assert OutgoingMessage.objects.filter(sent_at__isnull=True).count() == 0
    assert len(list(tmp_path.iterdir())) == 2


def test_a_rolled_back_transaction_queues_nothing_and_enqueues_no_task(
    world, django_capture_on_commit_callbacks
) -> None:
    from django.core.exceptions import ValidationError

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError):
        lifecycle.match_create(
            group=world["group"], household=world["households"][0], reason=" ", actor=None
        )
    assert callbacks == [] and not OutgoingMessage.objects.exists()


def coordinator_client(world: dict[str, Any]) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world["coordinator"])
    return client


def test_a_new_invitation_link_can_be_sent_to_the_group_in_its_language(world) -> None:
    group = world["group"]
    client = coordinator_client(world)
    response = client.post(
        reverse("intake:invitation_new", args=[group.pk]),
        {"delivery": "email", "send_to": "leden@example.org", "language": "nl"},
    )
    assert response.status_code == 302
    message = OutgoingMessage.objects.get(purpose="notify.invitation")
    assert (message.to, message.language) == ("leden@example.org", "nl")
    assert message.subject == "Samen Hier: het intakeformulier van uw Welkomstgroep"
    link = next(line for line in message.body_text.splitlines() if "/welcome/" in line)
    token = link.rstrip("/").rsplit("/", 1)[1]
    invitation = GroupInvitation.objects.get(group=group)
    assert invitation.token_hash == invitation_token_hash(token)
    assert link.startswith("http://testserver/")
    assert Client().get(link.removeprefix("http://testserver")).status_code == 200
    # the link is also shown once to copy
    assert (
        "/welcome/" in client.get(reverse("intake:group_detail", args=[group.pk])).content.decode()
    )


def test_only_showing_the_link_sends_nothing(world) -> None:
    client = coordinator_client(world)
    client.post(reverse("intake:invitation_new", args=[world["group"].pk]), {"delivery": "show"})
    assert GroupInvitation.objects.count() == 1
    assert not OutgoingMessage.objects.exists()


def test_sending_without_an_address_is_refused_and_makes_no_link(world) -> None:
    client = coordinator_client(world)
    response = client.post(
        reverse("intake:invitation_new", args=[world["group"].pk]),
        {"delivery": "email", "send_to": ""},
        follow=True,
    )
    assert "Give the e-mail address to send the link to" in response.content.decode()
    assert not GroupInvitation.objects.exists() and not OutgoingMessage.objects.exists()


def test_inviting_a_new_group_can_send_the_link_to_its_contact_address(world) -> None:
    client = coordinator_client(world)
    response = client.post(
        reverse("intake:group_new"),
        {
            "name": "Nieuwe Groep",
            "city": world["almere"].pk,
            "contact_email": "nieuw@example.org",
            "days": 21,
            "delivery": "email",
            "language": "en",
        },
    )
    assert response.status_code == 302
    message = OutgoingMessage.objects.get(purpose="notify.invitation")
    assert (message.to, message.language) == ("nieuw@example.org", "en")
    assert "Dear members of Nieuwe Groep" in message.body_text
    # without an address the form says so and nothing is made
    response = client.post(
        reverse("intake:group_new"),
        {"name": "Groep Zonder", "city": world["almere"].pk, "days": 21, "delivery": "email"},
    )
    assert response.status_code == 200
    assert "Give the e-mail address to send the link to" in response.content.decode()
    assert OutgoingMessage.objects.count() == 1
