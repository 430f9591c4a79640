"""The edit, withdraw, undo and re-open pages: permissions, the forms, errors and the audit."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.factories import PASSWORD
from tests.intake.answers import group_answers, household_answers
from welcomematch.accounts.models import AuditEvent, Role
from welcomematch.intake import questions as q
from welcomematch.intake.models import GroupInvitation, Household, RecordChange, WelcomeGroup
from welcomematch.intake.services import group_save_answers, household_save_answers

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(username=user.username, password=PASSWORD)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def coordinator(users: dict[str, Any]) -> Any:
    return users[Role.COORDINATOR.value]


@pytest.fixture
def household(programme: Any, city: Any, postcodes: int) -> Household:
    persons = [{"relation": "main", "age": 34, "gender": "woman"}] + [
        {"relation": "child", "age": 2 + i, "gender": "man"} for i in range(5)
    ]
    return household_save_answers(
        programme=programme, city=city, answers=household_answers(persons=persons), actor=None
    )


@pytest.fixture
def group(programme: Any, city: Any, postcodes: int) -> WelcomeGroup:
    return group_save_answers(programme=programme, city=city, answers=group_answers(), actor=None)


def _form_data(client: Client, url: str) -> dict[str, Any]:
    """The edit form's fields as the browser would send them unchanged (from the page)."""
    response = client.get(url)
    assert response.status_code == 200
    context = response.context
    data: dict[str, Any] = {"version": context["version_form"]["version"].value()}
    data["city"] = context["city_form"]["city"].value()
    form = context["form"]
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        if value is True:
            data[name] = "on"
        elif name == "ranking":
            for i, code in enumerate(value):
                data[f"ranking_{i}"] = code
        else:
            data[name] = value
    rows = context["rows"]
    data.update(
        {
            f"{rows.prefix}-TOTAL_FORMS": str(len(rows.initial)),
            f"{rows.prefix}-INITIAL_FORMS": str(len(rows.initial)),
            f"{rows.prefix}-MIN_NUM_FORMS": "1",
            f"{rows.prefix}-MAX_NUM_FORMS": "200",
        }
    )
    for i, row in enumerate(rows.initial):
        for name, value in row.items():
            if value is None or value is False:
                continue
            data[f"{rows.prefix}-{i}-{name}"] = "on" if value is True else value
    return data


@pytest.mark.parametrize("role", [Role.AMBASSADOR, Role.CONTACT_PERSON, Role.RESEARCHER])
def test_only_managers_may_edit_or_withdraw(users: dict[str, Any], household: Household, role):
    client = _client(users[role.value])
    assert client.get(reverse("intake:household_edit", args=[household.pk])).status_code == 403
    response = client.post(
        reverse("intake:household_withdraw", args=[household.pk]), {"reason": "x"}
    )
    assert response.status_code == 403
    household.refresh_from_db()
    assert household.withdrawn_at is None


def test_a_sixth_child_is_added_with_the_add_a_row_button_without_javascript(
    coordinator: Any, household: Household
) -> None:
    client = _client(coordinator)
    url = reverse("intake:household_edit", args=[household.pk])
    data = _form_data(client, url)
    # Without JavaScript: the button posts the form and it comes back with a blank row.
    response = client.post(url, {**data, "add_row": "persons"})
    assert response.status_code == 200
    assert len(response.context["rows"].forms) == 7
    assert 'name="persons-6-age"' in response.content.decode()
    household.refresh_from_db()
    assert household.persons.count() == 6
    data.update(
        {
            "persons-TOTAL_FORMS": "7",
            "persons-6-relation": "child",
            "persons-6-age": "1",
            "persons-6-gender": "woman",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["summary"]
    assert household.persons.count() == 7
    page = client.get(reverse("intake:household_detail", args=[household.pk])).content.decode()
    assert "Person added: Child, 1, Woman" in page
    event = AuditEvent.objects.filter(action="household.updated").latest("id")
    assert event.actor == coordinator
    assert "persons.added" in event.data["changed"]


def test_a_row_is_removed_with_its_delete_box(coordinator: Any, household: Household) -> None:
    client = _client(coordinator)
    url = reverse("intake:household_edit", args=[household.pk])
    data = _form_data(client, url)
    data["persons-5-DELETE"] = "on"
    assert client.post(url, data).status_code == 302
    assert household.persons.count() == 5


def test_errors_are_summed_up_at_the_top_with_links_and_nothing_is_written(
    coordinator: Any, household: Household
) -> None:
    client = _client(coordinator)
    url = reverse("intake:household_edit", args=[household.pk])
    data = _form_data(client, url)
    data["contact_name"] = ""
    data["persons-2-age"] = "300"
    data["postcode"] = "9999 ZZ"
    response = client.post(url, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="error-summary"' in page
    anchors = [item["anchor"] for item in response.context["summary"]]
    assert "id_contact_name" in anchors
    assert "id_persons-2-age" in anchors
    assert 'href="#id_persons-2-age"' in page
    assert 'id="id_persons-2-age"' in page
    household.refresh_from_db()
    assert household.postcode == "2511 CV"
    assert not household.changes.exists()


def test_a_stale_form_gets_a_clean_message_not_an_overwrite(
    coordinator: Any, household: Household
) -> None:
    client = _client(coordinator)
    url = reverse("intake:household_edit", args=[household.pk])
    first = _form_data(client, url)
    second = dict(first)
    first["hobbies"] = "Koken"
    assert client.post(url, first).status_code == 302
    second["hobbies"] = "Voetbal"
    response = client.post(url, second)
    assert response.status_code == 400
    assert "changed by someone else" in response.content.decode()
    household.refresh_from_db()
    assert household.hobbies == "Koken"


def test_a_group_edit_keeps_members_and_shows_the_change(
    coordinator: Any, group: WelcomeGroup
) -> None:
    client = _client(coordinator)
    url = reverse("intake:group_edit", args=[group.pk])
    data = _form_data(client, url)
    ids = list(group.members.order_by("id").values_list("id", flat=True))
    data["members-1-age"] = "39"
    assert client.post(url, data).status_code == 302
    assert list(group.members.order_by("id").values_list("id", flat=True)) == ids
    page = client.get(reverse("intake:group_detail", args=[group.pk])).content.decode()
    assert "Bas (38): Age changed from 38 to 39" in page


def test_withdraw_needs_a_reason_and_then_shows_and_can_be_undone(
    coordinator: Any, household: Household
) -> None:
    client = _client(coordinator)
    detail = reverse("intake:household_detail", args=[household.pk])
    withdraw = reverse("intake:household_withdraw", args=[household.pk])
    assert client.post(withdraw, {"reason": ""}).status_code == 302
    household.refresh_from_db()
    assert household.withdrawn_at is None
    assert client.post(withdraw, {"reason": "Moved to Utrecht"}).status_code == 302
    household.refresh_from_db()
    assert household.withdrawn_at is not None
    page = client.get(detail).content.decode()
    assert "Moved to Utrecht" in page and 'id="withdrawn-notice"' in page
    assert AuditEvent.objects.filter(action="household.withdrawn", actor=coordinator).exists()
    reinstate = reverse("intake:household_reinstate", args=[household.pk])
    assert client.post(reinstate, {"reason": "Wrong household"}).status_code == 302
    household.refresh_from_db()
    assert household.withdrawn_at is None
    assert household.changes.filter(action=RecordChange.Action.REINSTATED).exists()


def test_reopening_shows_the_link_once_and_it_opens_on_the_saved_answers(
    coordinator: Any, group: WelcomeGroup
) -> None:
    client = _client(coordinator)
    response = client.post(reverse("intake:group_reopen", args=[group.pk]), follow=True)
    link = response.context["invitations"][0]["link"]
    assert link
    invitation = GroupInvitation.objects.get(group=group)
    assert invitation.answers["name"] == group.name
    page = Client().get(link.replace("http://testserver", "") + "group/").content.decode()
    assert 'value="1315 AB"' in page
    assert AuditEvent.objects.filter(action="group.invitation_reopened").exists()


def test_the_edit_form_starts_with_the_saved_answers(coordinator: Any, household: Household):
    client = _client(coordinator)
    response = client.get(reverse("intake:household_edit", args=[household.pk]))
    saved = q.answers_from_record(
        q.HOUSEHOLD_QUESTIONNAIRE, household, {"persons": household.persons.order_by("id")}
    )
    with translation.override("en"):
        assert response.context["form"]["postcode"].value() == saved["postcode"]
    assert len(response.context["rows"].forms) == 7  # six persons and one blank row


def test_the_group_page_gives_the_capacity_rule_in_words(coordinator: Any, group: WelcomeGroup):
    page = _client(coordinator).get(reverse("intake:group_detail", args=[group.pk]))
    html = page.content.decode()
    assert "table[willingness]" not in html
    assert "The capacity follows from the group's willingness and experience" in html
