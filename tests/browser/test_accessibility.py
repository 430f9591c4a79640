"""Every main page, as each role sees it, passes axe-core and fits a 360 px phone screen.

One world for the whole module: the demo programme (built through the real services: groups,
households, confirmed rounds with a control arm, matches with ambassadors, check-ins, goals,
survey waves and answers, a study), plus a group invitation, a personal survey link, a
round waiting for review and an intake import. Each page is its own test, in Dutch and in
English: at 360 px wide nothing is wider than the screen, and axe-core finds no violation of
impact "critical" or "serious" (in Dutch on the phone screen, in English at desktop width).

axe-core (MPL-2.0) comes bundled in the ``axe-playwright-python`` package of the test extras,
so nothing is fetched at test time; Playwright evaluates it in the page, which the site's
Content Security Policy does not block, so the policy stays as strict as in production.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.browser.conftest import log_in
from tests.browser.test_intake_flows import seed_categories
from welcomematch.intake.views import STEPS

# Each test runs in a transaction rolled back at its end (what a page writes, such as an
# audit row, goes away); the world itself is committed once for the module, see ``world``.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db,
    # What a page looks like does not depend on the database; CI checks it once, on SQLite.
    pytest.mark.skipif(
        "postgresql" in settings.DATABASES["default"]["ENGINE"],
        reason="pages are checked with axe on SQLite only (the database does not change them)",
    ),
]

pytest.importorskip(
    "axe_playwright_python", reason="needs axe-playwright-python (pip install -e '.[test]')"
)

PASSWORD = "accessibility-test-password"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
#: axe impacts this test refuses; "moderate" and "minor" are advice.
BLOCKING = ("critical", "serious")
LOCALES = {"nl": "nl-NL", "en": "en-GB"}


@dataclass(frozen=True)
class Page:
    role: str  # a login of the demo, or "anonymous"
    name: str
    path: Callable[[dict[str, Any]], str]
    #: The page speaks its reader's own language (a personal survey link), not the browser's.
    own_language: bool = False

    @property
    def id(self) -> str:
        return f"{self.role}-{self.name}"


def _p(
    role: str, name: str, path: str | Callable[[dict[str, Any]], str], own_language: bool = False
) -> Page:
    return Page(role, name, path if callable(path) else (lambda _w, p=path: p), own_language)


PAGES: tuple[Page, ...] = (
    _p("anonymous", "login", "/login/"),
    _p("anonymous", "welcome", lambda w: f"/intake/welcome/{w['welcome_token']}/"),
    *(
        _p(
            "anonymous",
            f"welcome-{step}",
            lambda w, s=step: f"/intake/welcome/{w['welcome_token']}/{s}/",
        )
        for step in STEPS
    ),
    _p("anonymous", "survey-link", lambda w: f"/surveys/r/{w['survey_token']}/", True),
    _p("anonymous", "survey-page", lambda w: f"/surveys/r/{w['survey_token']}/1/", True),
    _p("coordinator", "dashboard", "/"),
    _p("coordinator", "group-list", "/groups/"),
    _p("coordinator", "group-detail", lambda w: f"/groups/{w['group']}/"),
    _p("coordinator", "household-list", "/households/"),
    _p("coordinator", "household-detail", lambda w: f"/households/{w['household']}/"),
    _p("coordinator", "intake", "/intake/"),
    _p("coordinator", "intake-group", lambda w: f"/intake/groups/{w['group']}/"),
    _p("coordinator", "intake-household", lambda w: f"/intake/households/{w['household']}/"),
    _p("coordinator", "group-new", "/intake/groups/new/"),
    _p("coordinator", "household-new", "/intake/households/new/"),
    _p("coordinator", "rules", "/intake/rules/"),
    _p("coordinator", "import", "/intake/import/"),
    _p("coordinator", "import-run", lambda w: f"/intake/import/{w['import_run']}/"),
    _p("coordinator", "round-list", "/rounds/"),
    _p("coordinator", "round-new", "/rounds/new/"),
    _p("coordinator", "round-confirmed", lambda w: f"/rounds/{w['confirmed_round']}/"),
    _p("coordinator", "round-review", lambda w: f"/rounds/{w['review_round']}/"),
    _p("coordinator", "round-confirm", lambda w: f"/rounds/{w['review_round']}/confirm/"),
    _p("coordinator", "match-list", "/matches/"),
    _p("coordinator", "match-detail", lambda w: f"/matches/{w['match']}/"),
    _p("coordinator", "ambassador-list", "/matches/ambassadors/"),
    _p("coordinator", "ambassador-new", "/matches/ambassadors/new/"),
    _p("coordinator", "ambassador-suggest", "/matches/ambassadors/suggest/"),
    _p("coordinator", "ambassador-load", lambda w: f"/matches/ambassadors/{w['ambassador']}/"),
    _p("coordinator", "ambassador-edit", lambda w: f"/matches/ambassadors/{w['ambassador']}/edit/"),
    _p("coordinator", "contact-persons", "/matches/contact-persons/"),
    _p("coordinator", "waiting-times", "/matches/waiting/"),
    _p("coordinator", "trial", "/trial/"),
    _p("coordinator", "study", "/trial/study/"),
    _p("coordinator", "surveys", "/surveys/"),
    _p("coordinator", "survey-wave", lambda w: f"/surveys/waves/{w['wave']}/"),
    _p(
        "coordinator",
        "survey-interview",
        lambda w: f"/surveys/respondents/{w['respondent']}/interview/",
    ),
    _p("coordinator", "survey-import", "/surveys/import/"),
    _p("coordinator", "report", "/reports/"),
    _p("admin", "dashboard", "/"),
    _p("admin", "audit", "/audit/"),
    _p("admin", "household-erase", lambda w: f"/privacy/households/{w['household']}/erase/"),
    _p("admin", "group-erase", lambda w: f"/privacy/groups/{w['group']}/erase/"),
    _p("ambassador", "dashboard", "/"),
    _p("ambassador", "match-list", "/matches/"),
    _p("ambassador", "match-detail", lambda w: f"/matches/{w['ambassador_match']}/"),
    _p("ambassador", "household-list", "/households/"),
    _p("ambassador", "household-detail", lambda w: f"/households/{w['ambassador_household']}/"),
    _p("ambassador", "group-list", "/groups/"),
    _p("ambassador", "group-detail", lambda w: f"/groups/{w['ambassador_group']}/"),
    _p("ambassador", "load", lambda w: f"/matches/ambassadors/{w['ambassador']}/"),
    _p("researcher", "dashboard", "/"),
    _p("researcher", "trial", "/trial/"),
    _p("researcher", "study", "/trial/study/"),
    _p("researcher", "report", "/reports/"),
)


def _build_world() -> dict[str, Any]:
    """The demo programme plus what it leaves out; returns the ids and tokens the pages need."""
    from django.core.exceptions import ValidationError

    from welcomematch.core.scales import MOMENTS
    from welcomematch.demo import build_demo
    from welcomematch.intake.importing import import_preview
    from welcomematch.intake.services import group_invite
    from welcomematch.lifecycle.models import CulturalAmbassador, Match
    from welcomematch.matching import services as matching
    from welcomematch.matching.models import MatchingRound, RoundStatus
    from welcomematch.programmes.models import City
    from welcomematch.surveys import services as surveys

    seed_categories()  # a transactional test before this module flushed the seeded lists
    summary = build_demo(seed=2020, password=PASSWORD)
    programme = summary.programme
    coordinator = summary.coordinator
    city = City.objects.filter(programme=programme).order_by("name").first()
    assert city is not None
    _group, _invitation, welcome_token = group_invite(
        programme=programme, city=city, name="Buren van de Kade", actor=coordinator
    )
    ambassador = CulturalAmbassador.objects.get(programme=programme, user__username="ambassador")
    ambassador_match = Match.objects.filter(ambassador=ambassador).order_by("pk").first()
    assert ambassador_match is not None, "the demo's ambassador has a match"
    match = Match.objects.filter(round__control_arm=True).order_by("pk").first()
    assert match is not None
    confirmed = MatchingRound.objects.filter(
        programme=programme, status=RoundStatus.CONFIRMED, control_arm=True
    ).first()
    assert confirmed is not None
    # A round waiting for the coordinator's review, over participants nobody matched yet.
    review = MatchingRound.objects.filter(programme=programme, status=RoundStatus.PROPOSED).first()
    if review is None:
        review = matching.round_create(
            programme=programme, name="Ronde ter beoordeling", actor=coordinator, seed=7
        )
        review = matching.round_run(round=review, actor=coordinator)
    # A personal survey link of a respondent who has none for its moment yet.
    survey_token = ""
    wave = respondent = None
    for moment in MOMENTS:
        for candidate in Match.objects.filter(round__programme=programme).order_by("pk")[:20]:
            try:
                opened = surveys.wave_open(
                    programme=programme,
                    moment=moment,
                    actor=coordinator,
                    base_url="http://testserver",
                    matches=[candidate],
                    controls=[],
                    send_invitations=False,
                )
            except ValidationError:  # everyone of this match already has a link
                continue
            if opened.links:
                respondent, survey_token = opened.links[0]
                wave = opened.wave
                break
        if survey_token:
            break
    assert survey_token and wave is not None and respondent is not None
    run = import_preview(
        programme=programme,
        city=city,
        kind="households",
        files=[("huishoudens.csv", b"contact_name,postcode\nAmal,1315 AA\n")],
        actor=coordinator,
    )
    return {
        "welcome_token": welcome_token,
        "survey_token": survey_token,
        "wave": wave.pk,
        "respondent": respondent.pk,
        "group": match.group_id,
        "household": match.household_id,
        "import_run": run.pk,
        "confirmed_round": confirmed.pk,
        "review_round": review.pk,
        "match": match.pk,
        "ambassador": ambassador.pk,
        "ambassador_match": ambassador_match.pk,
        "ambassador_household": ambassador_match.household_id,
        "ambassador_group": ambassador_match.group_id,
    }


def _wait_for_requests(limit: float = 10.0) -> None:
    """Let the live server finish the requests still in flight (its request threads are
    daemons that stopping does not wait for; one still closing its database connection after
    the server stopped raises in its thread). Bounded: never waits more than ``limit`` s."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and any(
        "process_request_thread" in thread.name for thread in threading.enumerate()
    ):
        time.sleep(0.05)


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """One world and one live server for the module (a per-test live server would empty the
    database after each page); the database is emptied when the module ends."""
    from pytest_django.live_server_helper import LiveServer

    with django_db_blocker.unblock():
        try:
            world = _build_world()
            server = LiveServer("localhost")
            server._live_server_modified_settings.enable()
            try:
                yield {**world, "url": server.url}
            finally:
                _wait_for_requests()
                server._live_server_modified_settings.disable()
                server.stop()
        finally:
            # Empty the database, then put back what the data migrations seeded (the category
            # lists; the survey instruments come back by themselves after a flush): the
            # non-transactional tests that run after this module rely on them.
            call_command("flush", interactive=False, verbosity=0)
            seed_categories()


@pytest.fixture(scope="module")
def logins(browser: Any, world: dict[str, Any]) -> dict[str, Any]:
    """Each role's cookies after logging in through the real form, kept for the module."""
    states: dict[str, Any] = {"anonymous": None}
    for role in ("coordinator", "admin", "ambassador", "researcher"):
        context = browser.new_context(base_url=world["url"])
        page = context.new_page()
        log_in(page, role, PASSWORD)
        assert page.url.rstrip("/") == world["url"], f"{role} could not log in: {page.url}"
        states[role] = context.storage_state()
        context.close()
    return states


#: The outermost elements that reach past the right edge of the screen, to name in a failure.
WIDE_ELEMENTS = """() => {
  const edge = document.documentElement.clientWidth;
  const clipped = (e) => {
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible") return true;
    }
    return false;
  };
  const wide = [...document.querySelectorAll("body *")].filter(
    (e) => e.getBoundingClientRect().right > edge + 1 && !clipped(e)
  );
  const name = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
    + (e.classList.length ? "." + [...e.classList].join(".") : "");
  return wide.filter((e) => !wide.includes(e.parentElement)).slice(0, 6).map(
    (e) => `${name(e)} in ${name(e.parentElement)} (${Math.round(e.getBoundingClientRect().right)} px)`
  );
}"""


NEXT_FRAME = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


def _axe_problems(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page).response
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:8])
        for v in results["violations"]
        if v["impact"] in BLOCKING
    ]


#: Every page in Dutch and in English (a personal survey link once, in its reader's language).
CASES = [
    pytest.param(page, language, id=f"{page.id}-{language}")
    for page in PAGES
    for language in (("own",) if page.own_language else ("nl", "en"))
]


@pytest.mark.parametrize(("page_", "language"), CASES)
def test_page_is_accessible_and_fits_a_phone(
    browser: Any, world: dict[str, Any], logins: dict[str, Any], page_: Page, language: str
) -> None:
    """At 360 px nothing is wider than the screen; axe finds nothing critical or serious.

    axe runs once a page and language, to keep the module quick: the Dutch page on the phone
    screen (with the folded menu and the scroll boxes), the English page at desktop width.
    """
    context = browser.new_context(
        base_url=world["url"],
        locale=LOCALES.get(language, "nl-NL"),
        viewport=PHONE,
        storage_state=logins[page_.role],
    )
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        # The demo's report draws dozens of charts: on a busy machine that can take a while.
        page.set_default_navigation_timeout(90_000)
        path = page_.path(world)
        response = page.goto(path)
        assert response is not None and response.status == 200, (path, response and response.status)
        page.wait_for_load_state("networkidle")
        if not page_.own_language:
            assert page.get_attribute("html", "lang") == language
        problems = []
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide = ", ".join(page.evaluate(WIDE_ELEMENTS))
            problems.append(f"{width} px wide on a {PHONE['width']} px screen: {wide}")
        if language == "en":
            page.set_viewport_size(DESKTOP)
            page.evaluate(NEXT_FRAME)  # site.js updates the scroll boxes on resize
            where = "at desktop width"
        else:
            where = f"at {PHONE['width']} px"
        problems += [f"{where}: {p}" for p in _axe_problems(page)]
        assert not problems, f"{path} ({page_.role}, {language}):\n" + "\n".join(problems)
    finally:
        context.close()
