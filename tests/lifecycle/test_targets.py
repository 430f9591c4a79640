"""The programme's targets for waiting times and warnings are set by its managers, audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from tests.factories import make_programme, make_user
from welcomematch.accounts.models import AuditEvent, Role
from welcomematch.core.waiting import Thresholds
from welcomematch.lifecycle.selectors import thresholds_of
from welcomematch.programmes.models import Programme
from welcomematch.programmes.services import programme_set_targets

pytestmark = pytest.mark.django_db

TARGETS = {"target_days": 28, "first_meeting_days": 14, "checkin_gap_days": 45, "low_rating": 3}


def test_a_new_programme_starts_from_the_cores_default_thresholds():
    assert thresholds_of(make_programme()) == Thresholds()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, 302),
        (Role.RESEARCHER, 403),
        (Role.AMBASSADOR, 403),
        (Role.COORDINATOR, 302),
        (Role.ADMINISTRATOR, 302),
    ],
)
def test_only_managers_may_change_the_targets(role, expected):
    programme = make_programme()
    client = Client()
    if role is not None:
        client.force_login(make_user(role, programme=programme))
    response = client.post(reverse("lifecycle:waiting_targets"), TARGETS)
    assert response.status_code == expected
    changed = Programme.objects.get(pk=programme.pk).target_days == 28
    assert changed is (expected == 302 and role is not None)


def test_a_coordinator_saves_the_targets_and_the_warnings_follow_them():
    programme = make_programme()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    coordinator = make_user(Role.COORDINATOR, programme=programme)
    client.force_login(coordinator)
    client.post(reverse("lifecycle:waiting_targets"), TARGETS)
    assert thresholds_of(Programme.objects.get(pk=programme.pk)) == Thresholds(28, 14, 45, 3)
    event = AuditEvent.objects.get(action="programme.targets")
    assert event.actor == coordinator
    assert event.data["changed"]["target_days"] == {"from": 42, "to": 28}
    page = client.get(reverse("lifecycle:waiting_times")).content.decode()
    assert "a first meeting within 28 days of the intake" in page


def test_a_rating_above_five_is_refused_and_nothing_changes():
    programme = make_programme()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(Role.COORDINATOR, programme=programme))
    response = client.post(reverse("lifecycle:waiting_targets"), TARGETS | {"low_rating": 6})
    assert response.status_code == 400
    assert response.context["targets_form"].errors["low_rating"]
    summary = response.content.decode().split('id="error-summary"')[1].split("</div>")[0]
    assert 'href="#id_low_rating"' in summary
    assert Programme.objects.get(pk=programme.pk).low_rating == 2
    with pytest.raises(ValidationError) as error:
        programme_set_targets(programme=programme, actor=None, **(TARGETS | {"target_days": 0}))
    assert "target_days" in error.value.message_dict
    assert not AuditEvent.objects.filter(action="programme.targets").exists()
