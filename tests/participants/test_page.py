"""The personal page: what each side sees (and never sees), control-arm and waiting wording,
the language, headers, refusals and the audited visit."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_group, make_household
from tests.participants.helpers import BASE
from tests.web.helpers import make_trial
from welcomematch.accounts.models import AuditEvent
from welcomematch.lifecycle import services as lifecycle
from welcomematch.participants import services
from welcomematch.programmes.models import Category, CategoryKind
from welcomematch.trial import services as trial

#: Words of the household's intake that the group must never see.
HOUSEHOLD_SECRETS = ("Youssef", "trauma", "counselling", "Syri", "SY", "vulnerab", "amal@")


def _get(token: str, client: Client | None = None):
    return (client or Client()).get(reverse("participants:page", args=[token]))


def _text(response) -> str:
    return response.content.decode()


def test_the_group_sees_its_match_contacts_plan_and_nothing_sensitive(world):
    goal = Category.objects.filter(kind=CategoryKind.GOAL).first()
    lifecycle.goal_add(match=world["match"], goal=goal.code, actor=None, description="Samen koken")
    response = _get(world["group_link"].token)
    assert response.status_code == 200
    html = _text(response)
    assert "De Buren" in html  # greeting
    assert "Amal" in html  # the household's first name
    for secret in HOUSEHOLD_SECRETS:
        assert secret not in html, secret
    assert "Samira Haddad" in html and "06 3333 4444" in html and "samira@example.org" in html
    assert "Els Visser" in html and "06 1111 2222" in html
    assert goal.label_nl in html and "Samen koken" in html
    assert 'id="first-meeting-form"' in html


def test_the_household_sees_the_groups_first_names_and_city_only(world):
    html = _text(_get(world["household_link"].token))
    assert "De Buren" in html and "Almere" in html
    for name in ("Anna", "Bas", "Cor"):
        assert name in html
    assert "buren@example.org" not in html  # the group's contact details stay with the group
    assert "Samira Haddad" in html


def test_nothing_about_other_participants(world):
    city = world["city"]
    other = make_group(city, name="Andere Groep")
    other_household = make_household(city, contact_name="Bilal Other")
    lifecycle.match_create(group=other, household=other_household, reason="x", actor=None)
    for key in ("group_link", "household_link"):
        html = _text(_get(world[key].token))
        assert "Andere Groep" not in html and "Bilal" not in html


def test_the_page_speaks_the_participants_language_and_switches(world):
    token = world["household_link"].token  # English (B1), little Dutch
    response = _get(token)
    assert response["Content-Language"] == "en"
    assert "Your match" in _text(response)
    assert "Matched; the first meeting still has to be planned" in _text(response)
    client = Client()
    client.post(reverse("participants:page_language", args=[token]), {"language": "nl"})
    response = _get(token, client)
    assert response["Content-Language"] == "nl"
    assert "Uw koppeling" in _text(response)
    assert "Gekoppeld; de eerste ontmoeting moet nog worden gepland" in _text(response)
    assert 'lang="nl" dir="ltr"' in _text(response)


def test_personal_pages_are_not_stored_or_indexed(world):
    response = _get(world["group_link"].token)
    assert "no-store" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]
    assert '<meta name="robots" content="noindex, nofollow">' in _text(response)
    assert response["Referrer-Policy"] == "same-origin"


def test_a_visit_is_an_audited_read(world):
    _get(world["household_link"].token)
    event = AuditEvent.objects.get(action="record.read", object_type="intake.household")
    assert event.object_id == str(world["household"].pk)
    assert event.actor is None
    assert event.data == {
        "what": "participant:page",
        "sensitive": False,
        "link": world["household_link"].link.pk,
    }


@pytest.mark.parametrize("how", ["unknown", "revoked", "expired"])
def test_a_link_that_does_not_work_gets_a_friendly_page_that_tells_nothing(world, how):
    token = world["group_link"].token
    if how == "unknown":
        token = "x" * 43
    elif how == "revoked":
        services.participant_link_revoke(actor=None, group=world["group"])
    else:
        link = world["group_link"].link
        link.expires_at = link.created_at
        link.save()
    response = _get(token)
    assert response.status_code == 404
    assert "Deze link werkt niet (meer)" in _text(response)
    assert "De Buren" not in _text(response)
    assert "no-store" in response["Cache-Control"]
    unknown = _get("y" * 43)
    assert _text(unknown) == _text(response)


def test_a_household_waiting_for_a_match_is_told_where_it_stands(world):
    household = make_household(world["city"], contact_name="Dina")
    token = services.participant_link_renew(actor=None, base_url=BASE, household=household).token
    html = _text(_get(token))
    assert "U wacht sinds" in html
    assert "020 123 4567" in html and "info@samenhier.example" in html  # the programme
    assert "first-meeting-form" not in html


def test_a_control_household_is_told_plainly_about_the_lottery(world):
    city = world["city"]
    trial.study_create(
        programme=world["programme"],
        title="Samen Hier",
        starts_on=date(2026, 1, 1),
        ends_on=date(2027, 6, 30),
        analysis_seed=1,
        outcomes=[],
        actor=None,
    )
    group = make_group(city, name="Loting Groep")
    _treated, control = make_trial(group, [make_household(city), make_household(city)])
    token = services.participant_link_renew(actor=None, base_url=BASE, household=control).token
    html = _text(_get(token))
    assert "loting" in html and "niet geloot" in html
    assert "30 jun 2027" in html
    assert "U wacht sinds" not in html  # not a misleading "no match yet"
    assert "Loting Groep" not in html  # not who the group is, nor the treated household
    client = Client()
    client.post(reverse("participants:page_language", args=[token]), {"language": "en"})
    english = _text(_get(token, client))
    assert "a lottery decided" in english and "was not drawn" in english
    assert "nothing to do with you" in english


def test_an_open_survey_is_listed_and_opens_with_a_fresh_link(world):
    from welcomematch.surveys import services as surveys

    opened = surveys.wave_open(
        programme=world["programme"],
        moment="midterm",
        actor=None,
        base_url=BASE,
        matches=[world["match"]],
        controls=[],
        send_invitations=False,
    )
    mine = [r for r, _t in opened.links if r.side == "newcomer"]
    theirs = [r for r, _t in opened.links if r.side == "group_member"]
    assert mine and theirs
    token = world["household_link"].token
    html = _text(_get(token))
    assert "Tussentijdse vragenlijst" in html or "Mid-term survey" in html
    assert f'value="{mine[0].pk}"' in html
    assert f'value="{theirs[0].pk}"' not in html
    response = Client().post(
        reverse("participants:survey", args=[token]), {"respondent": str(mine[0].pk)}
    )
    assert response.status_code == 302 and "/surveys/r/" in response["Location"]
    # Another side's survey cannot be opened through this page.
    response = Client().post(
        reverse("participants:survey", args=[token]), {"respondent": str(theirs[0].pk)}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("participants:page", args=[token])
