"""Survey responses for the demo programme, through the real survey services.

* an intake survey of the matched and the control households (their answers follow their
  intake record: the Dutch level recorded at intake, the work they had);
* a mid-term wave in which 51 group members answer through their personal link and 23
  newcomers are interviewed, with answers spread like the pilot's interim figures
  (``evaluation.md``, "pilot figure"), so the report page is full on first start;
* a final wave of the matched (treatment) and the control households, where the matched
  households gained more Dutch, work and Dutch contacts, and some households of both arms did
  not answer (attrition), so the trial analysis has something to analyse.

Called by :func:`welcomematch.demo.build_demo`; the seed makes it reproducible.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.text import slugify

from welcomematch.accounts.models import User
from welcomematch.core.scales import CEFR_LEVELS, SCALES
from welcomematch.intake.models import GroupMember, Household
from welcomematch.lifecycle.models import Match
from welcomematch.mail.services import mail_send_pending
from welcomematch.programmes.models import Programme
from welcomematch.surveys import services
from welcomematch.surveys.models import Respondent, Response

#: Respondents of the pilot's interim evaluation.
MIDTERM_GROUP_MEMBERS = 51
MIDTERM_NEWCOMERS = 23
#: Share of households that did not answer the final survey, per arm (attrition).
FINAL_NONRESPONSE = {"treatment": 0.12, "control": 0.35}

L5 = ("strongly_agree", "somewhat_agree", "neutral", "somewhat_disagree", "strongly_disagree")
S5 = SCALES["satisfaction5"].codes

#: Percentages per option (in scale order) after the pilot's interim figures:
#: (group members, newcomers).
MIDTERM_SPREAD: dict[str, tuple[Sequence[float], Sequence[float]]] = {
    "dutch_improved": ((4, 35, 40, 15, 6), (52, 30, 13, 5, 0)),
    "depend_ambassador_communication": ((), (22, 22, 22, 4, 30)),
    "contact_informal_friendly": ((60, 32, 6, 2, 0), (50, 32, 13, 5, 0)),
    "trust_match": ((78, 20, 2, 0, 0), (50, 27, 18, 5, 0)),
    "comfortable_sharing_feelings": ((30, 40, 20, 8, 2), (60, 31, 9, 0, 0)),
    "became_friends": ((15, 30, 35, 15, 5), (45, 35, 15, 5, 0)),
    "cultural_distance_decreased": ((20, 35, 35, 8, 2), (40, 41, 14, 5, 0)),
    "understand_other_culture": ((35, 42, 18, 5, 0), (40, 42, 13, 5, 0)),
    "ambassador_support": ((30, 30, 24.3, 9.8, 5.9), (52, 26, 13.3, 4.35, 4.35)),
    "ambassador_important_role": ((7.8, 15.7, 40, 20, 16.5), (30, 30, 25, 10, 5)),
    "depend_ambassador_contact": ((6, 14, 30, 25, 25), (17, 21, 22, 20, 20)),
    "matching_satisfaction": ((41, 10, 12, 28, 4), (44, 30, 22, 4, 0)),
    "want_more_time": ((20, 29, 0, 35, 16), (65, 13, 13, 9, 0)),
    "distance_too_far": ((18, 14, 20, 25, 23), (26, 17, 22, 18, 17)),
    "covid_impact": ((60, 34, 4, 2, 0), (70, 24, 6, 0, 0)),
    "lasting_impact": ((25, 40, 25, 8, 2), (52, 34, 9, 5, 0)),
    "would_recommend": ((85, 15), (100, 0)),
    "dutch_cefr": ((), (4.3, 8.7, 21.7, 34.8, 21.7, 8.7, 0)),
    "english_cefr": ((), (13, 17, 22, 26, 13, 9, 0)),
}
#: How often each role is ticked (at most three per respondent): (group members, newcomers).
ROLE_WEIGHTS = {
    "friend": (45, 80),
    "volunteer": (50, 20),
    "coach": (35, 25),
    "buddy": (40, 35),
    "family": (8, 45),
    "neighbour": (10, 10),
    "teacher": (25, 30),
    "other": (5, 3),
}
#: The pilot's 23 interviewed newcomers: 2 full-time, 3 part-time, 3 volunteer, 3 internship,
#: 1 student; the others in training, looking for work or neither.
MIDTERM_WORK: tuple[tuple[str, ...], ...] = (
    *[("full_time",)] * 2,
    *[("part_time",)] * 2,
    ("part_time", "looking"),
    *[("volunteer",)] * 2,
    ("volunteer", "training"),
    *[("internship",)] * 3,
    ("student",),
    *[("training",)] * 2,
    *[("looking",)] * 7,
    ("none",),
)
COMMENTS = (
    "Wij hebben veel van elkaar geleerd.",
    "Het contact ging door corona vooral via de telefoon.",
    "We would have liked to meet more often.",
    "Fijn dat de ambassadeur er was in het begin.",
)


@dataclass
class SurveyDemoSummary:
    waves: int = 0
    responses: dict[str, int] = field(default_factory=dict)
    mail_files: int = 0


def spread(
    codes: Sequence[str], percentages: Sequence[float], n: int, rng: random.Random
) -> list[str]:
    """``n`` answers whose counts follow ``percentages`` (largest remainder), shuffled."""
    total = sum(percentages)
    exact = [n * p / total for p in percentages]
    counts = [int(x) for x in exact]
    order = sorted(range(len(exact)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in order[: n - sum(counts)]:
        counts[i] += 1
    answers = [code for code, count in zip(codes, counts, strict=True) for _ in range(count)]
    rng.shuffle(answers)
    return answers


def _roles(rng: random.Random, side_index: int) -> list[str]:
    chosen: list[str] = []
    weights = {code: w[side_index] for code, w in ROLE_WEIGHTS.items()}
    for _ in range(rng.choice((1, 2, 2, 3, 3))):
        pool = [c for c in weights if c not in chosen]
        chosen.append(rng.choices(pool, weights=[weights[c] for c in pool])[0])
    return chosen


def _level(code: str) -> int:
    return CEFR_LEVELS.get(code or "none", 0)


def _code(level: int) -> str:
    return next(c for c, lvl in CEFR_LEVELS.items() if lvl == max(0, min(6, level)))


INTAKE_WORK = {"part_time": "part_time", "volunteer": "volunteer", "looking": "looking"}


def _backdate(response: Response, when: datetime) -> None:
    """The demo tells a story of months: date a response at ``when`` (audit trail unchanged)."""
    Response.objects.filter(pk=response.pk).update(started_at=when, submitted_at=when)


def _midterm_answers(
    respondents: list[Respondent], side_index: int, rng: random.Random
) -> list[dict[str, Any]]:
    n = len(respondents)
    answers: list[dict[str, Any]] = [{} for _ in range(n)]
    for code, spreads in MIDTERM_SPREAD.items():
        shares = spreads[side_index]
        if not shares:
            continue
        scale = "cefr" if code.endswith("_cefr") else None
        codes = (
            SCALES["cefr"].codes
            if scale
            else SCALES["yes_no"].codes
            if code == "would_recommend"
            else S5
            if code in ("ambassador_support", "matching_satisfaction")
            else L5
        )
        for row, value in zip(answers, spread(codes, shares, n, rng), strict=True):
            row[code] = value
    for row in answers:
        row["group_role"] = _roles(rng, side_index)
        if rng.random() < 0.15:
            row["comments"] = rng.choice(COMMENTS)
    if side_index == 1:
        work = list(MIDTERM_WORK[:n])
        rng.shuffle(work)
        for row, ticked in zip(answers, work, strict=False):
            row["work_status"] = list(ticked)
    return answers


def _wave(
    programme: Programme,
    moment: str,
    coordinator: User,
    matches: list[Match],
    controls: list[Household],
    now: datetime,
    name: str,
) -> list[Respondent]:
    opened = services.wave_open(
        programme=programme,
        moment=moment,
        actor=coordinator,
        base_url=settings.SITE_URL,
        matches=matches,
        controls=controls,
        closes_at=now + timedelta(days=28),
        send_invitations=False,
        name=name,
        now=now,
    )
    return [respondent for respondent, _token in opened.links]


def build_survey_demo(
    *, programme: Programme, coordinator: User, seed: int = 2020
) -> SurveyDemoSummary:
    """Intake, mid-term and final survey responses for the demo programme (see module doc)."""
    rng = random.Random(seed)
    now = timezone.now()
    summary = SurveyDemoSummary()
    # Demo group members get example addresses, so reminders can be shown as mail files.
    for member in GroupMember.objects.filter(group__programme=programme, email=""):
        GroupMember.objects.filter(pk=member.pk).update(
            email=f"{slugify(member.first_name) or 'lid'}.{member.pk}@example.org"
        )
    started = list(
        Match.objects.filter(group__programme=programme, started_at__isnull=False)
        .select_related("group", "household", "round")
        .order_by("started_at", "id")
    )
    controls = list(
        Household.objects.filter(programme=programme, control_assignment__isnull=False).order_by(
            "id"
        )
    )
    # Intake: what the households told at their intake interview.
    intake = _wave(programme, "intake", coordinator, started, controls, now, "Intake (demo)")
    summary.waves += 1
    baseline: dict[int, int] = {}
    for respondent in intake:
        household = respondent.household
        assert household is not None
        level = _level(household.cefr_dutch)
        baseline[respondent.person_id or 0] = level
        response = services.response_enter_interview(
            respondent=respondent,
            answers={
                "dutch_cefr": _code(level),
                "english_cefr": household.cefr_english or "none",
                "work_status": [INTAKE_WORK.get(household.employment, "none")],
                "dutch_contacts_help": rng.choice((0, 0, 1, 1, 2, 3)),
                "dutch_contacts_weekly": rng.choice((0, 0, 1, 2)),
            },
            actor=coordinator,
        )
        interviewed = household.interviewed_at or (now - timedelta(days=300)).date()
        _backdate(
            response,
            timezone.make_aware(datetime.combine(interviewed, datetime.min.time())),
        )
    summary.responses["intake"] = len(intake)

    # Mid-term: 51 group members online, 23 newcomers interviewed.
    midterm = _wave(
        programme, "midterm", coordinator, started, [], now, "Tussentijdse vragenlijst (demo)"
    )
    summary.waves += 1
    members = [r for r in midterm if r.side == "group_member"]
    newcomers = [r for r in midterm if r.side == "newcomer"]
    members = rng.sample(members, min(MIDTERM_GROUP_MEMBERS, len(members)))
    newcomers = rng.sample(newcomers, min(MIDTERM_NEWCOMERS, len(newcomers)))
    for respondent, answers in zip(members, _midterm_answers(members, 0, rng), strict=True):
        services.response_save_page(respondent=respondent, answers=answers, page=1)
        services.response_submit(respondent=respondent)
    for respondent, answers in zip(newcomers, _midterm_answers(newcomers, 1, rng), strict=True):
        services.response_enter_interview(respondent=respondent, answers=answers, actor=coordinator)
    summary.responses["midterm"] = len(members) + len(newcomers)

    # Final: the trial's outcomes for both arms, with attrition.
    final = _wave(programme, "final", coordinator, started, controls, now, "Eindvragenlijst (demo)")
    summary.waves += 1
    answered = 0
    silent_households = {
        r.household_id
        for r in final
        if r.side == "newcomer"
        and rng.random() < FINAL_NONRESPONSE.get(r.trial_arm, FINAL_NONRESPONSE["treatment"])
    }
    for respondent in final:
        if respondent.side == "group_member":
            if rng.random() < 0.4:
                continue
            answers = {
                code: rng.choices(L5, weights=(40, 35, 15, 7, 3))[0]
                for code in ("trust_match", "became_friends", "keep_in_touch", "lasting_impact")
            }
            answers["met_through_newcomer"] = rng.choice((0, 1, 2, 3, 5))
            services.response_enter_interview(
                respondent=respondent, answers=answers, actor=coordinator
            )
            answered += 1
            continue
        if respondent.household_id in silent_households:
            continue
        treated = respondent.trial_arm != "control"
        start = baseline.get(respondent.person_id or 0, 1)
        gain = rng.choice((0, 1, 1, 2, 2, 3) if treated else (0, 0, 1, 1, 2))
        work = rng.choices(
            (["full_time"], ["part_time"], ["volunteer"], ["training"], ["looking"], ["none"]),
            weights=(12, 18, 15, 15, 35, 5) if treated else (6, 12, 8, 14, 50, 10),
        )[0]
        answers = {
            "dutch_cefr": _code(start + gain),
            "english_cefr": rng.choice(("A1", "A2", "B1", "B2")),
            "work_status": work,
            "dutch_contacts_help": rng.randint(2, 8) if treated else rng.randint(0, 4),
            "dutch_contacts_weekly": rng.randint(1, 6) if treated else rng.randint(0, 3),
        }
        if treated:
            answers.update(
                {
                    "trust_match": rng.choices(L5, weights=(50, 30, 12, 6, 2))[0],
                    "keep_in_touch": rng.choices(L5, weights=(45, 30, 15, 7, 3))[0],
                    "met_through_group": rng.randint(0, 10),
                    "would_recommend": rng.choices(("yes", "no"), weights=(95, 5))[0],
                }
            )
        services.response_enter_interview(respondent=respondent, answers=answers, actor=coordinator)
        answered += 1
    summary.responses["final"] = answered

    # Reminders for the mid-term wave's non-respondents, delivered (as files without SMTP).
    wave = midterm[0].wave if midterm else None
    if wave is not None:
        services.wave_send_reminders(wave=wave, actor=coordinator, base_url=settings.SITE_URL)
        summary.mail_files = mail_send_pending().sent
    return summary
