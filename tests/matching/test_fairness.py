"""Fairness on the round page: the lottery audit as a background job, stored with the round."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import make_city, make_household
from tests.matching.test_jobs import DATABASE_TASKS
from tests.matching.test_views import client_for, proposed_round, world  # noqa: F401
from welcomematch.accounts.models import AuditEvent, Role
from welcomematch.core import roundfile
from welcomematch.core.audit import audit_lottery
from welcomematch.intake.models import Household
from welcomematch.intake.services import PersonData
from welcomematch.matching import jobs, services
from welcomematch.matching.models import (
    JobKind,
    JobStage,
    MatchingRound,
    RoundLotteryAudit,
    RoundStatus,
)

pytestmark = pytest.mark.django_db

DRAWS = 40


@pytest.fixture
def fair_world(world: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    """The round world plus, in a second city far away, a family with children: its type and its
    city can never be matched (no group within reach)."""
    city = make_city(world["programme"], "Maastricht")
    world["family"] = make_household(
        city,
        lat=50.85,
        lon=5.69,
        contact_name="Familie",
        persons=[
            PersonData(relation="main", age=38, gender="woman"),
            PersonData(relation="partner", age=40, gender="man"),
            PersonData(relation="child", age=6),
        ],
    )
    return world


def audited_round(setting: dict[str, Any], draws: int = DRAWS) -> tuple[MatchingRound, Any]:
    rnd = proposed_round(setting)
    job = jobs.round_job_start(
        round=rnd, kind=JobKind.AUDIT, actor=setting["coordinator"], draws=draws
    )
    return rnd, job


def _summary(audit: RoundLotteryAudit, side: str, by: str) -> dict[str, dict[str, Any]]:
    return {r["value"]: r for r in audit.summaries if r["side"] == side and r["by"] == by}


def test_the_audit_runs_as_a_job_and_stores_the_chances_with_draws_and_seed(fair_world):
    rnd, job = audited_round(fair_world)
    assert job.stage == JobStage.DONE and job.draws == DRAWS
    assert [stage for stage, _when in job.stages] == ["queued", "auditing", "done"]
    audit = RoundLotteryAudit.objects.get(round=rnd)
    assert (audit.draws, audit.first_seed, audit.round_run_at) == (DRAWS, rnd.seed, rnd.run_at)
    # The round did not change.
    before = MatchingRound.objects.get(pk=rnd.pk)
    assert before.status == RoundStatus.PROPOSED and before.result_file == rnd.result_file
    event = AuditEvent.objects.get(action="round.lottery_audit", object_id=str(rnd.pk))
    assert event.data == {"audit": audit.pk, "draws": DRAWS, "first_seed": rnd.seed}
    # Reproducible: the core over the stored round file gives the very same counts.
    core = audit_lottery(roundfile.round_from_dict(rnd.round_file), DRAWS)
    assert audit.chances["household"] == {c.id: [c.matched, c.control] for c in core.households}
    assert audit.chances["group"] == {c.id: [c.matched, c.control] for c in core.groups}


def test_the_summaries_on_a_hand_worked_round(fair_world):
    """One group, two households in reach (a fair coin makes one the match, the other the
    control), one far household of its own type in its own city (never matched), one more far."""
    rnd, _job = audited_round(fair_world)
    audit = RoundLotteryAudit.objects.get(round=rnd)
    first, second = fair_world["households"]
    far, family = fair_world["far"], fair_world["family"]
    chances = audit.chances["household"]
    # The exact counts for seed 11 over 40 draws (the core's seeded lottery).
    assert chances[first.reference] == [21, 19]
    assert chances[second.reference] == [19, 21]
    assert chances[far.reference] == [0, 0] and chances[family.reference] == [0, 0]
    assert audit.chances["group"] == {fair_world["group"].reference: [DRAWS, DRAWS]}
    # Symmetric households: each is the match or the control in every draw, by the coin, so
    # each has a chance of a match near one half.
    for h in (first, second):
        matched, control = chances[h.reference]
        assert matched + control == DRAWS
        assert abs(matched / DRAWS - 0.5) < 0.15
    by_type = _summary(audit, "household", "type")
    assert by_type[family.household_type]["participants"] == 1
    assert by_type[family.household_type]["max_p_matched"] == 0.0
    assert by_type[family.household_type]["decided_by_eligibility"] == 1
    by_city = _summary(audit, "household", "city")
    assert by_city["Maastricht"]["mean_p_matched"] == 0.0
    main_city = first.city.name
    assert by_city[main_city]["participants"] == 3
    assert by_city[main_city]["mean_p_matched"] == pytest.approx(40 / 3 / DRAWS)
    assert by_city[main_city]["mean_p_control"] == pytest.approx(40 / 3 / DRAWS)
    by_level = _summary(audit, "household", "level")
    assert sum(r["participants"] for r in by_level.values()) == 4
    assert _summary(audit, "group", "city")[main_city]["mean_p_matched"] == 1.0


def test_draws_are_bounded_and_only_a_round_that_ran_is_audited(fair_world):
    rnd = proposed_round(fair_world)
    for draws in (services.AUDIT_DRAWS_MIN - 1, services.AUDIT_DRAWS_MAX + 1, None):
        with pytest.raises(ValidationError) as caught:
            jobs.round_job_start(
                round=rnd, kind=JobKind.AUDIT, actor=fair_world["coordinator"], draws=draws
            )
        assert "draws" in caught.value.message_dict
    draft = services.round_create(
        programme=fair_world["programme"], name="Nog niet", actor=None, seed=3
    )
    with pytest.raises(ValidationError, match="has run"):
        jobs.round_job_start(round=draft, kind=JobKind.AUDIT, actor=None, draws=20)
    assert not RoundLotteryAudit.objects.exists()


def test_a_failed_audit_leaves_the_round_as_it_was_with_the_error_shown_and_audited(fair_world):
    rnd = proposed_round(fair_world)
    MatchingRound.objects.filter(pk=rnd.pk).update(round_file={"format": "nonsense"})
    job = jobs.round_job_start(
        round=rnd, kind=JobKind.AUDIT, actor=fair_world["coordinator"], draws=20
    )
    assert job.stage == JobStage.FAILED and job.error
    assert not RoundLotteryAudit.objects.exists()
    assert MatchingRound.objects.get(pk=rnd.pk).status == RoundStatus.PROPOSED
    failed = AuditEvent.objects.get(action="round.audit_failed", object_id=str(rnd.pk))
    assert failed.data["error"] == job.error
    MatchingRound.objects.filter(pk=rnd.pk).update(round_file=rnd.round_file)
    page = client_for(fair_world, Role.COORDINATOR).get(
        reverse("matching:round_detail", args=[rnd.pk])
    )
    assert html.escape(job.error) in page.content.decode()


@DATABASE_TASKS
def test_an_unfinished_audit_holds_back_a_run_or_a_confirmation_and_vice_versa(fair_world):
    rnd = proposed_round(fair_world)
    job = jobs.round_job_start(round=rnd, kind=JobKind.AUDIT, actor=None, draws=20)
    assert job.stage == JobStage.QUEUED
    for kind in (JobKind.RUN, JobKind.CONFIRM, JobKind.AUDIT):
        with pytest.raises(ValidationError, match="already being run"):
            jobs.round_job_start(round=rnd, kind=kind, actor=None, draws=20)
    page = client_for(fair_world, Role.COORDINATOR).get(
        reverse("matching:round_detail", args=[rnd.pk])
    )
    assert page.context["job"].kind == JobKind.AUDIT
    assert page.context.get("audit_form") is None
    assert [s["stage"] for s in page.context["job_steps"]] == ["queued", "auditing"]


def test_the_round_page_starts_the_audit_and_shows_chart_and_tables_in_words(fair_world):
    rnd = proposed_round(fair_world)
    client = client_for(fair_world, Role.COORDINATOR)
    url = reverse("matching:round_detail", args=[rnd.pk])
    assert 'id="audit-form"' in client.get(url).content.decode()
    response = client.post(
        reverse("matching:round_lottery_audit", args=[rnd.pk]), {"audit-draws": "30"}
    )
    assert response.status_code == 302
    audit = RoundLotteryAudit.objects.get(round=rnd)
    assert audit.draws == 30
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # One chart per household dimension, accessible, its numbers also as a table.
    for by in ("type", "level", "city"):
        assert f'id="fairness-household-{by}"' in page
        assert f"fairness-{by}" in page
    assert page.count('role="img"') >= 3 and "<title" in page and "<desc" in page
    family = fair_world["family"]
    assert family.household_type not in page.split('id="fairness"')[1].split("</section>")[0]
    assert "Vulnerability level" in page and "Maastricht" in page
    assert "30 draws with seeds" in page
    # Out of bounds: a message naming the field, nothing started.
    client.post(reverse("matching:round_lottery_audit", args=[rnd.pk]), {"audit-draws": "3"})
    assert RoundLotteryAudit.objects.count() == 1
    # In Dutch.
    dutch = client.get(url, HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Kwetsbaarheidsniveau" in dutch


def test_running_again_makes_the_audit_outdated(fair_world):
    rnd, _job = audited_round(fair_world, draws=20)
    Household.objects.filter(pk=fair_world["far"].pk).update(withdrawn_at="2026-01-01T00:00Z")
    services.round_run(round=rnd, actor=None)
    page = client_for(fair_world, Role.COORDINATOR).get(
        reverse("matching:round_detail", args=[rnd.pk])
    )
    assert page.context["fairness"]["outdated"] is True
    assert 'id="fairness-outdated"' in page.content.decode()


def test_only_managers_may_start_an_audit(fair_world):
    rnd = proposed_round(fair_world)
    for role in (Role.RESEARCHER, Role.AMBASSADOR):
        response = client_for(fair_world, role).post(
            reverse("matching:round_lottery_audit", args=[rnd.pk]), {"audit-draws": "20"}
        )
        assert response.status_code == 403
    assert not RoundLotteryAudit.objects.exists()
