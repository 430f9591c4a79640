"""A synthetic programme resembling the Samen Hier pilot, built through the real services.

Four cities (Almere, Den Haag, Haarlem, Rotterdam), 44 groups of 4-9 members, about 100
households with the pilot's mix (about half from Syria, a third from Eritrea; families,
couples, singles; about three children per family), real postcodes geocoded from the bundled
GeoNames subset, a spread of vulnerability; then a matching round with randomised control per
city, confirmed, and a year of lifecycle: first meetings, ambassadors, check-ins, joint goals,
some breakdowns and a rematching round waiting for the coordinator.

Everything is drawn from one ``random.Random(seed)``: the same seed gives the same programme.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from welcomematch.accounts.models import Role, User
from welcomematch.accounts.services import user_create
from welcomematch.intake.models import Household, Postcode
from welcomematch.intake.services import (
    MemberData,
    PersonData,
    group_create,
    household_create,
    postcodes_load_bundled_demo,
)
from welcomematch.lifecycle import selectors as lifecycle_selectors
from welcomematch.lifecycle import services as lifecycle
from welcomematch.lifecycle.models import ContactPerson, CulturalAmbassador, Match
from welcomematch.matching import services as matching
from welcomematch.programmes.models import City, Programme
from welcomematch.surveys.demo import build_survey_demo
from welcomematch.trial import services as trial_services

#: (city, GeoNames municipality, CBS municipality code, groups, households, centre lat, lon)
CITIES: tuple[tuple[str, str, str, int, int, float, float], ...] = (
    ("Almere", "Gemeente Almere", "0034", 10, 23, 52.3508, 5.2647),
    ("Den Haag", "Gemeente Den Haag", "0518", 12, 27, 52.0705, 4.3007),
    ("Haarlem", "Gemeente Haarlem", "0392", 8, 18, 52.3874, 4.6462),
    ("Rotterdam", "Rotterdam Municipality", "0599", 14, 32, 51.9244, 4.4777),
)
GROUP_TYPES = ("with_children", "young_adults", "mixed_ages", "middle_aged", "seniors")
HOUSEHOLD_TYPES = ("family_with_children", "couple", "single_parent", "single_man", "single_woman")
#: Country of origin with weight and languages (ISO 639), after the pilot's mix.
ORIGINS: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("SY", 0.52, ("ar", "ku")),
    ("ER", 0.29, ("ti", "am")),
    ("AF", 0.06, ("fa", "prs")),
    ("IR", 0.04, ("fa",)),
    ("IQ", 0.03, ("ar", "ku")),
    ("SO", 0.03, ("so",)),
    ("YE", 0.03, ("ar",)),
)
DUTCH_NAMES = (
    "Anouk",
    "Bram",
    "Charlotte",
    "Daan",
    "Eva",
    "Femke",
    "Gijs",
    "Hanna",
    "Iris",
    "Jeroen",
    "Karin",
    "Lotte",
    "Maarten",
    "Noor",
    "Olga",
    "Pieter",
    "Quinten",
    "Roos",
    "Sanne",
    "Tom",
    "Ursula",
    "Vera",
    "Wouter",
    "Yara",
    "Zoë",
    "Ingrid",
    "Marloes",
    "Sophie",
    "Lisa",
    "Joost",
)
NEWCOMER_NAMES = (
    "Amal",
    "Bashir",
    "Dawit",
    "Fatima",
    "Ghirmay",
    "Hala",
    "Ibrahim",
    "Jamila",
    "Khaled",
    "Lina",
    "Mahmoud",
    "Nour",
    "Omar",
    "Rahel",
    "Samir",
    "Tesfay",
    "Yonas",
    "Zainab",
    "Aster",
    "Mariam",
    "Yosef",
    "Huda",
    "Semhar",
    "Rami",
)
OCCUPATIONS = (
    ("teacher", "education"),
    ("nurse", "health_care"),
    ("developer", "ict"),
    ("civil servant", "administration"),
    ("student", "education"),
    ("retired", "other"),
    ("architect", "construction"),
    ("shop owner", "retail"),
    ("researcher", "education"),
    ("designer", "arts"),
    ("physiotherapist", "health_care"),
    ("consultant", "administration"),
)
GROUP_NAME_PARTS = (
    "Buren",
    "Vrienden",
    "Collega's",
    "Welkom",
    "Samen",
    "Oost",
    "West",
    "Kade",
    "Park",
    "Haven",
    "Polder",
    "Duin",
    "Molen",
    "Brug",
)
SECTORS = (
    "installation_repair",
    "education",
    "hospitality",
    "construction",
    "health_care",
    "retail",
    "transport",
    "agriculture",
    "ict",
    "other",
)
GOALS = ("language", "work", "education", "leisure", "culture", "network", "practical")
END_REASONS = (
    "family_composition",
    "vulnerability_too_high",
    "expectations_time",
    "expectations_contact",
    "online_contact",
    "work_or_study",
)


@dataclass
class DemoSummary:
    programme: Programme
    coordinator: User
    password: str
    cities: list[str] = field(default_factory=list)
    groups: int = 0
    households: int = 0
    rounds: int = 0
    matches: int = 0
    controls: int = 0
    ended: int = 0
    postcodes: int = 0
    logins: dict[str, str] = field(default_factory=dict)


def _weighted(
    rng: random.Random, options: tuple[tuple[str, float, tuple[str, ...]], ...]
) -> tuple[str, tuple[str, ...]]:
    point = rng.random() * sum(w for _, w, _ in options)
    for code, weight, languages in options:
        point -= weight
        if point <= 0:
            return code, languages
    return options[-1][0], options[-1][2]


def _partial_ranking(rng: random.Random, options: tuple[str, ...]) -> list[str]:
    ranking = list(options)
    rng.shuffle(ranking)
    return ranking[: rng.randint(2, len(options))]


def _persons(rng: random.Random, htype: str) -> list[PersonData]:
    adult_age = rng.randint(22, 55)
    if htype == "single_man":
        return [PersonData(relation="main", age=adult_age, gender="man")]
    if htype == "single_woman":
        return [PersonData(relation="main", age=adult_age, gender="woman")]
    if htype == "couple":
        return [
            PersonData(relation="main", age=adult_age, gender="man"),
            PersonData(
                relation="partner", age=max(19, adult_age + rng.randint(-6, 3)), gender="woman"
            ),
        ]
    children = [
        PersonData(relation="child", age=rng.randint(0, 17), gender=rng.choice(("woman", "man")))
        for _ in range(max(1, min(7, round(rng.gauss(3.0, 1.3)))))
    ]
    if htype == "single_parent":
        return [PersonData(relation="main", age=max(26, adult_age), gender="woman"), *children]
    return [
        PersonData(relation="main", age=max(26, adult_age), gender="man"),
        PersonData(relation="partner", age=max(24, adult_age - rng.randint(0, 6)), gender="woman"),
        *children,
    ]


def _ssm(rng: random.Random, burden: float) -> dict[str, int]:
    from welcomematch.core.levels import SSM_DOMAINS

    scores = {}
    for domain in SSM_DOMAINS:
        value = round(rng.gauss(4.3 - burden, 0.8))
        scores[domain] = min(5, max(1, value))
    return scores


def _members(rng: random.Random) -> list[MemberData]:
    size = rng.choices((4, 5, 6, 7, 8, 9), weights=(20, 40, 20, 10, 6, 4))[0]
    base_age = rng.choice((25, 35, 42, 55))
    members = []
    for i in range(size):
        occupation, sector = rng.choice(OCCUPATIONS)
        age = max(20, min(75, base_age + rng.randint(-6, 8)))
        members.append(
            MemberData(
                first_name=DUTCH_NAMES[
                    (i * 7 + rng.randrange(len(DUTCH_NAMES))) % len(DUTCH_NAMES)
                ],
                age=age,
                gender="woman" if rng.random() < 0.68 else "man",
                education=rng.choice(("higher", "higher", "higher", "vocational", "secondary")),
                occupation=occupation,
                sector=sector,
                volunteered_with_refugees=rng.random() < 0.4,
                has_children=30 <= age <= 50 and rng.random() < 0.25,
            )
        )
    return members


def _postcodes_by_city() -> dict[str, list[Postcode]]:
    by_city: dict[str, list[Postcode]] = {}
    for name, municipality, *_ in CITIES:
        by_city[name] = list(Postcode.objects.filter(country="NL", municipality=municipality))
    return by_city


#: Days before today each city's matching round ran (Almere first, a week apart): the story
#: covers more than a year, so the first matches have completed theirs.
FIRST_ROUND_DAYS_AGO = 400


def _round_days_ago(index: int) -> int:
    return FIRST_ROUND_DAYS_AGO - 7 * index


def _noon(days_ago: int, now: datetime) -> datetime:
    """Noon (local time), ``days_ago`` days before ``now``."""
    day = timezone.localtime(now).date() - timedelta(days=days_ago)
    return timezone.make_aware(datetime.combine(day, time(12)))


@contextlib.contextmanager
def _story_clock(moment: datetime) -> Iterator[None]:
    """The demo tells a programme's story of more than a year in one go: while one step of it
    is built, the services' clock (``django.utils.timezone.now``) reads the story's moment, so
    every timestamp and audit entry of that step carries the day it happened in the story.
    (The demo is built before anything is served; nothing else runs meanwhile.)"""
    real = timezone.now
    timezone.now = lambda: moment
    try:
        yield
    finally:
        timezone.now = real


@transaction.atomic
def build_demo(*, seed: int = 2020, password: str) -> DemoSummary:
    """Fill an empty database with the demo programme; returns what was made and the logins."""
    rng = random.Random(seed)
    postcodes_loaded = postcodes_load_bundled_demo()
    programme = Programme.objects.create(
        name="Samen Hier (demo)",
        slug="samen-hier-demo",
        contact_phone="030 123 45 67",
        contact_email="samenhier@example.org",
    )
    coordinator = user_create(
        username="coordinator",
        password=password,
        role=Role.COORDINATOR,
        programme=programme,
        first_name="Carla",
        last_name="Coördinator",
        # so that `welcomematch send-notifications` shows her reminders and weekly digest
        email="coordinator@example.org",
    )
    summary = DemoSummary(
        programme=programme, coordinator=coordinator, password=password, postcodes=postcodes_loaded
    )
    summary.logins["coordinator"] = password
    for username, role, first in (
        ("admin", Role.ADMINISTRATOR, "Ada"),
        ("ambassador", Role.AMBASSADOR, "Samira"),
        ("researcher", Role.RESEARCHER, "Rik"),
    ):
        user_create(
            username=username,
            password=password,
            role=role,
            programme=programme,
            first_name=first,
            is_superuser=role == Role.ADMINISTRATOR,
        )
        summary.logins[username] = password
    postcodes = _postcodes_by_city()
    cities: dict[str, City] = {}
    for name, _municipality, code, *_rest, lat, lon in CITIES:
        cities[name] = City.objects.create(
            programme=programme,
            name=name,
            municipality_code=code,
            latitude=lat,
            longitude=lon,
        )
        summary.cities.append(name)
    contacts = [
        ContactPerson.objects.create(programme=programme, name=n, email=f"{n.lower()}@example.org")
        for n in ("Els", "Joris", "Mirjam", "Youssef")
    ]
    _build_ambassadors(rng, programme, cities)
    real_now = timezone.now()
    for city_index, (name, _municipality, _code, n_groups, n_households, _lat, _lon) in enumerate(
        CITIES
    ):
        city = cities[name]
        round_days_ago = _round_days_ago(city_index)
        for i in range(n_groups):
            members = _members(rng)
            postcode = rng.choice(postcodes[name])
            incomplete = i == n_groups - 1 and name in ("Almere", "Rotterdam")
            # Groups signed up in the weeks to months before their city's round.
            now = _noon(round_days_ago + 15 + (i * 11) % 90, real_now)
            with _story_clock(now):
                group = group_create(
                    programme=programme,
                    city=city,
                    name=f"{rng.choice(GROUP_NAME_PARTS)} {rng.choice(GROUP_NAME_PARTS)} {name}",
                    members=members,
                    actor=coordinator,
                    postcode=postcode.code,
                    willingness=rng.choices((0, 1, 2), weights=(25, 45, 30))[0],
                    experience=rng.choices((0, 1, 2), weights=(55, 35, 10))[0],
                    ranking=_partial_ranking(rng, HOUSEHOLD_TYPES),
                    completed=not incomplete,
                    consent_at=None if incomplete else now,
                    non_discrimination_at=None if incomplete else now,
                    acquaintance=rng.choice(
                        ("friends", "colleagues", "neighbours", "family", "mixed")
                    ),
                    motivation="We willen iemand helpen zich thuis te voelen in onze stad.",
                    languages=["nl", "en"] + (["ar"] if rng.random() < 0.1 else []),
                    hours_per_month=rng.choice((8, 10, 12, 16, 20)),
                    contact_kind=rng.choice(("practical", "friendship", "both")),
                    contact_email=f"groep{i + 1}.{name.lower().replace(' ', '')}@example.org",
                    contact_person=rng.choice(contacts),
                )
            summary.groups += 1
            if i == 0 and name in ("Den Haag", "Haarlem"):
                # Withdrew shortly before the round.
                group.withdrawn_at = _noon(round_days_ago + 5, real_now)
                group.save(update_fields=["withdrawn_at"])
        for j in range(n_households):
            htype = rng.choices(HOUSEHOLD_TYPES, weights=(45, 14, 11, 20, 10))[0]
            origin, languages = _weighted(rng, ORIGINS)
            trauma = rng.random() < 0.15
            burden = rng.choice((0.0, 0.0, 0.4, 0.8, 1.3))
            postcode = rng.choice(postcodes[name])
            incomplete = j == n_households - 1
            # Households were interviewed one to four months before their city's round.
            now = _noon(round_days_ago + 10 + (j * 13) % 110, real_now)
            with _story_clock(now):
                household_create(
                    programme=programme,
                    city=city,
                    contact_name=rng.choice(NEWCOMER_NAMES),
                    persons=_persons(rng, htype),
                    actor=coordinator,
                    postcode=postcode.code,
                    ssm_scores=_ssm(rng, burden),
                    support_flags={
                        "disability": rng.random() < 0.08,
                        "trauma": trauma,
                        "specific_support": rng.random() < 0.1,
                    },
                    ranking=_partial_ranking(rng, GROUP_TYPES),
                    completed=not incomplete,
                    consent_at=None if incomplete else now,
                    non_discrimination_at=None if incomplete else now,
                    interviewed_at=(now - timedelta(days=rng.randint(0, 14))).date(),
                    country_of_origin=origin,
                    languages=list(languages[: rng.randint(1, len(languages))]),
                    cefr_dutch=rng.choices(("none", "A1", "A2", "B1"), weights=(34, 30, 26, 10))[0],
                    cefr_english=rng.choices(
                        ("none", "A1", "A2", "B1", "B2"), weights=(30, 20, 20, 20, 10)
                    )[0],
                    education=rng.choice(("primary", "secondary", "vocational", "higher")),
                    work_field=rng.choice(SECTORS),
                    employment=rng.choices(
                        ("none", "looking", "part_time", "volunteer"), weights=(30, 61, 5, 4)
                    )[0],
                    goals=rng.sample(GOALS, k=3),
                    housed_year=rng.choice((2017, 2018)),
                    municipality=name,
                    wants_ambassador=rng.random() < 0.8,
                )
            summary.households += 1
    _run_rounds(rng, summary, cities)
    _create_study(summary)
    build_survey_demo(programme=programme, coordinator=coordinator, seed=seed)
    return summary


def _create_study(summary: DemoSummary) -> None:
    """The programme's trial: its period covers the rounds (from about 400 days ago) and the
    final survey still under way, so control households stay held."""
    today = timezone.localdate()
    trial_services.study_create(
        programme=summary.programme,
        title="Samen Hier – effect van een Welkom Groep",
        starts_on=today - timedelta(days=FIRST_ROUND_DAYS_AGO + 30),
        ends_on=today + timedelta(days=90),
        analysis_seed=2020,
        outcomes=[
            trial_services.OUTCOME_PRESETS["dutch_cefr_gain"],
            trial_services.OUTCOME_PRESETS["in_work_or_education"],
        ],
        actor=User.objects.filter(username="admin").first(),
    )


def _build_ambassadors(rng: random.Random, programme: Programme, cities: dict[str, City]) -> None:
    specs = (
        ("Samira", ("ar",)),
        ("Yohannes", ("ti", "am")),
        ("Nadia", ("ar", "ku")),
        ("Farid", ("fa", "prs")),
        ("Selam", ("ti",)),
        ("Hassan", ("ar",)),
        ("Mehret", ("ti",)),
        ("Layla", ("ar", "so")),
    )
    ambassador_user = User.objects.filter(username="ambassador").first()
    names = list(cities)
    for index, (name, languages) in enumerate(specs):
        ambassador = CulturalAmbassador.objects.create(
            programme=programme,
            name=name,
            languages=["nl", *languages],
            capacity=rng.choice((3, 4, 5)),
            user=ambassador_user if index == 0 else None,
        )
        ambassador.cities.set(
            [cities[names[index % len(names)]], cities[names[(index + 1) % len(names)]]]
        )


def _run_rounds(rng: random.Random, summary: DemoSummary, cities: dict[str, City]) -> None:
    """Each city's round (a week apart, from :data:`FIRST_ROUND_DAYS_AGO` days ago), then each
    match's year, every step on its own day of the story (:func:`_story_clock`): first meetings
    one to five weeks after the round, the start soon after, monthly check-ins, joint goals,
    some breakdowns, completions after a year; a few matches still wait for a first meeting or
    have one planned; the ended ones wait in a rematching round."""
    coordinator = summary.coordinator
    real_now = timezone.now()
    round_days: dict[int, int] = {}
    for index, (name, city) in enumerate(cities.items()):
        days_ago = _round_days_ago(index)
        with _story_clock(_noon(days_ago, real_now)):
            new_round = matching.round_create(
                programme=summary.programme,
                city=city,
                name=f"Ronde {index + 1} – {name}",
                actor=coordinator,
                control_arm=True,
                seed=rng.randrange(2**31),
            )
            new_round = matching.round_run(round=new_round, actor=coordinator)
            matching.round_confirm(round=new_round, actor=coordinator)
        round_days[new_round.pk] = days_ago
        summary.rounds += 1
    matches = list(
        Match.objects.filter(round__programme=summary.programme)
        .select_related("household", "group")
        .order_by("proposed_at", "pk")
    )
    summary.matches = len(matches)
    summary.controls = Household.objects.filter(
        programme=summary.programme, control_assignment__isnull=False
    ).count()
    ended = 0
    planned = 0
    for position, match in enumerate(matches):
        assert match.round_id is not None
        made = round_days[match.round_id]  # days ago the match was made
        draw = rng.random()
        if draw < 0.1:
            continue  # still waiting for the first meeting to be planned
        meeting = made - rng.randint(7, 35)
        if draw < 0.18:
            # The first meeting was hard to arrange: planned last week for the coming weeks,
            # and (the first of them) moved once.
            with _story_clock(_noon(7, real_now)):
                lifecycle.match_plan_first_meeting(
                    match=match, when=_noon(-(meeting % 20) - 3, real_now), actor=coordinator
                )
            if planned == 0:
                with _story_clock(_noon(2, real_now)):
                    lifecycle.match_plan_first_meeting(
                        match=match, when=_noon(-(meeting % 20) - 10, real_now), actor=coordinator
                    )
            planned += 1
            continue
        with _story_clock(_noon(made - 2, real_now)):
            lifecycle.match_plan_first_meeting(
                match=match, when=_noon(meeting, real_now), actor=coordinator
            )
        start = meeting - rng.randint(0, 14)
        with _story_clock(_noon(start, real_now)):
            lifecycle.match_start(match=match, actor=coordinator)
            suggested, _left_out = lifecycle_selectors.ambassador_suggestions(
                programme=match.household.programme,
                matches=Match.objects.filter(pk=match.pk),
                today=timezone.localdate(),
            )
            if suggested:
                lifecycle.match_assign_ambassador(
                    match=match, ambassador=suggested[0].ambassador, actor=coordinator
                )
        with _story_clock(_noon(start - 7, real_now)):
            for goal in rng.sample(GOALS, k=rng.randint(1, 3)):
                lifecycle.goal_add(
                    match=match,
                    goal=goal,
                    actor=coordinator,
                    description="",
                    target_date=timezone.localdate() + timedelta(days=rng.choice((90, 180, 270))),
                )
        ends = ended < 9 and position % 5 == 2
        last = max(start - 365, 0)  # a year, or until today
        if ends:
            last = max(start - rng.randint(60, 200), 1)
        month = 1
        while start - 30 * month >= max(last, 1):
            if rng.random() < 0.9:  # now and then a month is missed
                held = max(start - 30 * month - rng.randint(0, 4), last, 0)
                with _story_clock(_noon(held, real_now)):
                    lifecycle.checkin_record(
                        match=match,
                        held_on=timezone.localdate(),
                        actor=coordinator,
                        meetings_since_last=rng.randint(0, 6),
                        satisfaction=rng.choices((2, 3, 4, 5), weights=(1, 3, 5, 4))[0],
                        concern=rng.random() < 0.1,
                        notes="Maandelijks belmoment met de contactpersoon.",
                    )
            month += 1
        if ends:
            with _story_clock(_noon(last, real_now)):
                lifecycle.match_end(
                    match=match,
                    reason=rng.choice(END_REASONS),
                    note="Zie het gesprek met de contactpersoon.",
                    actor=coordinator,
                )
            ended += 1
        elif start >= 365:
            with _story_clock(_noon(start - 365, real_now)):
                lifecycle.match_complete(match=match, actor=coordinator)
    summary.ended = ended
    if ended:
        with _story_clock(_noon(3, real_now)):
            rematch = matching.round_create(
                programme=summary.programme,
                name="Herkoppeling – alle steden",
                actor=coordinator,
                control_arm=False,
                seed=rng.randrange(2**31),
            )
            with contextlib.suppress(ValidationError):  # nobody ready: the round stays a draft
                matching.round_run(round=rematch, actor=coordinator)
        summary.rounds += 1
