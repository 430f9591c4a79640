"""A small trial built through the real services: three randomised pairs, a study, a final
survey wave, and answers from every treatment household but only one control household."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from tests.factories import PASSWORD, make_city, make_group, make_household, make_programme
from welcomematch.accounts.models import Role
from welcomematch.accounts.services import user_create
from welcomematch.intake.services import PersonData
from welcomematch.lifecycle.models import Match
from welcomematch.matching import services as matching
from welcomematch.surveys import services as surveys
from welcomematch.surveys.catalogue import install_shipped_instruments
from welcomematch.surveys.models import Instrument, Item
from welcomematch.trial import services
from welcomematch.trial.models import ControlAssignment

ROLES = (Role.RESEARCHER, Role.AMBASSADOR, Role.COORDINATOR, Role.ADMINISTRATOR)

#: Intake Dutch level, employment, origin, main adult's age of the six households.
HOUSEHOLDS = (
    ("A1", "looking", "SY", 34, "Amal"),
    ("none", "none", "ER", 41, "Bashir"),
    ("A2", "looking", "SY", 29, "Dawit"),
    ("A1", "volunteer", "ER", 52, "Elham"),
    ("none", "looking", "AF", 37, "Farid"),
    ("A2", "part_time", "SY", 45, "Ghada"),
)


def build_trial(*, answer_controls: int = 1) -> dict[str, Any]:
    if not Instrument.objects.exists():
        # A transactional (browser) test before this one flushed what the surveys' data
        # migration installs; put the shipped instruments back the way the migration does.
        install_shipped_instruments(Instrument, Item)
    programme = make_programme()
    city = make_city(programme)
    users = {
        role: user_create(
            username=f"{role.value}-user", password=PASSWORD, role=role, programme=programme
        )
        for role in ROLES
    }
    for name in ("Eerste", "Tweede", "Derde"):
        make_group(city, willingness=2, experience=2, name=name)
    for cefr, employment, origin, age, name in HOUSEHOLDS:
        make_household(
            city,
            contact_name=name,
            contact_phone="0612345678",
            postcode="1315 AB",
            cefr_dutch=cefr,
            employment=employment,
            country_of_origin=origin,
            persons=[
                PersonData(relation="main", age=age, gender="woman"),
                PersonData(relation="child", age=6, gender="man"),
            ],
        )
    coordinator = users[Role.COORDINATOR]
    rnd = matching.round_create(programme=programme, name="Ronde 1", actor=coordinator, seed=5)
    matching.round_run(round=rnd, actor=coordinator)
    matching.round_confirm(round=rnd, actor=coordinator)
    today = timezone.localdate()
    study = services.study_create(
        programme=programme,
        title="Samen Hier trial",
        starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=365),
        analysis_seed=7,
        outcomes=[
            services.OUTCOME_PRESETS["dutch_cefr_gain"],
            services.OUTCOME_PRESETS["in_work_or_education"],
        ],
        actor=users[Role.ADMINISTRATOR],
    )
    units = list(ControlAssignment.objects.filter(round=rnd).order_by("group__reference"))
    matches = list(Match.objects.filter(round=rnd))
    opened = surveys.wave_open(
        programme=programme,
        moment="final",
        actor=coordinator,
        base_url="http://testserver",
        matches=matches,
        controls=[u.household for u in units],
        send_invitations=False,
        now=timezone.now() - timedelta(days=10),
    )
    answering = {u.treatment_household_id for u in units} | {
        u.household_id for u in units[:answer_controls]
    }
    for respondent, _token in opened.links:
        if respondent.side != "newcomer" or respondent.household_id not in answering:
            continue
        surveys.response_enter_interview(
            respondent=respondent,
            answers={"dutch_cefr": "B1", "english_cefr": "A1", "work_status": ["part_time"]},
            actor=coordinator,
        )
    return {
        "programme": programme,
        "city": city,
        "users": users,
        "round": rnd,
        "study": study,
        "units": units,
    }
