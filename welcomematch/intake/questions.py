"""The intake questionnaires: the single source for the web forms, the XLSForm and the import.

Every question has a machine name (the XLSForm ``name`` and the column an export carries), a
Dutch and an English label, a type in XLSForm terms and the section it belongs to. Choice lists
are either fixed here or read from the programme's category lists (editable in the admin).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any

from welcomematch.core.levels import SSM_DOMAINS, SUPPORT_FLAGS
from welcomematch.i18n import in_active_language

#: Question kinds, named as in XLSForm where XLSForm has them.
TEXT, TEXTAREA, EMAIL, INTEGER, DECIMAL, DATE = (
    "text",
    "textarea",
    "email",
    "integer",
    "decimal",
    "date",
)
SELECT_ONE, SELECT_MULTIPLE, RANK = "select_one", "select_multiple", "rank"
BOOLEAN, ACKNOWLEDGE = "boolean", "acknowledge"


@dataclass(frozen=True)
class Choice:
    code: str
    nl: str
    en: str

    @property
    def label(self) -> str:
        return _pick(self.nl, self.en)


@dataclass(frozen=True)
class Question:
    name: str
    kind: str
    nl: str
    en: str
    section: str
    required: bool = False
    choices: str = ""
    hint_nl: str = ""
    hint_en: str = ""
    minimum: float | None = None
    maximum: float | None = None
    sensitive: bool = False
    #: The model field the answer fills: ``""`` the question's own name. ACKNOWLEDGE answers
    #: fill a moment (``consent`` → ``consent_at``).
    field: str = ""
    #: With ``key``, the answer is one entry ``field[key]`` of a dictionary field (left out
    #: when empty), e.g. the self-sufficiency score of one domain.
    key: str = ""
    #: The value stored when the answer is empty.
    default: Any = None
    #: A single choice whose codes are stored as whole numbers.
    numeric: bool = False
    #: A multiple choice stored as yes/no for each of these flags.
    flags: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return _pick(self.nl, self.en)

    @property
    def field_name(self) -> str:
        return self.field or self.name

    @property
    def hint(self) -> str:
        return _pick(self.hint_nl, self.hint_en)


@dataclass(frozen=True)
class Section:
    name: str
    nl: str
    en: str
    optional: bool = False
    repeat: bool = False
    intro_nl: str = ""
    intro_en: str = ""
    sensitive: bool = False

    @property
    def label(self) -> str:
        return _pick(self.nl, self.en)

    @property
    def intro(self) -> str:
        return _pick(self.intro_nl, self.intro_en)


@dataclass(frozen=True)
class Questionnaire:
    kind: str
    form_id: str
    title_nl: str
    title_en: str
    minutes: int
    sections: tuple[Section, ...]
    questions: tuple[Question, ...]

    @property
    def title(self) -> str:
        return _pick(self.title_nl, self.title_en)

    def section(self, name: str) -> Section:
        for section in self.sections:
            if section.name == name:
                return section
        raise KeyError(name)

    def in_section(self, name: str) -> tuple[Question, ...]:
        return self._by_section.get(name, ())

    @cached_property
    def _by_section(self) -> dict[str, tuple[Question, ...]]:
        # Asked for every row of an import: worked out once (the questionnaire is frozen).
        found: dict[str, list[Question]] = {}
        for question in self.questions:
            found.setdefault(question.section, []).append(question)
        return {name: tuple(questions) for name, questions in found.items()}

    def question(self, name: str) -> Question:
        for question in self.questions:
            if question.name == name:
                return question
        raise KeyError(name)

    @property
    def repeats(self) -> tuple[Section, ...]:
        return tuple(s for s in self.sections if s.repeat)

    def main_questions(self) -> tuple[Question, ...]:
        repeat_names = {s.name for s in self.repeats}
        return tuple(q for q in self.questions if q.section not in repeat_names)


_pick = in_active_language


# --- fixed choice lists ------------------------------------------------------------------

FIXED_CHOICES: dict[str, tuple[Choice, ...]] = {
    "willingness": (
        Choice(
            "0",
            "Nee, liever een huishouden zonder extra ondersteuningsbehoefte",
            "No, preferably a household without extra support needs",
        ),
        Choice("1", "Ja, bij een lichte ondersteuningsbehoefte", "Yes, with light support needs"),
        Choice(
            "2",
            "Ja, ook bij een grotere ondersteuningsbehoefte",
            "Yes, also with greater support needs",
        ),
    ),
    "experience": (
        Choice("0", "Geen", "None"),
        Choice("1", "Enige ervaring", "Some experience"),
        Choice("2", "Veel of beroepsmatige ervaring", "Much or professional experience"),
    ),
    "gender": (
        Choice("woman", "Vrouw", "Woman"),
        Choice("man", "Man", "Man"),
        Choice("other", "Anders", "Other"),
        Choice("unknown", "Zeg ik liever niet", "Prefer not to say"),
    ),
    "relation": (
        Choice("main", "Hoofdcontactpersoon", "Main contact"),
        Choice("partner", "Partner", "Partner"),
        Choice("child", "Kind", "Child"),
        Choice("other", "Ander familielid", "Other relative"),
    ),
    "cefr": (
        Choice("none", "Geen", "None"),
        Choice("A1", "A1 – beginner", "A1 – beginner"),
        Choice("A2", "A2 – basis", "A2 – elementary"),
        Choice("B1", "B1 – gemiddeld", "B1 – intermediate"),
        Choice("B2", "B2 – hoger gemiddeld", "B2 – upper intermediate"),
        Choice("C1", "C1 – gevorderd", "C1 – advanced"),
        Choice("C2", "C2 – (bijna) moedertaal", "C2 – proficient"),
    ),
    "ssm_scale": (
        Choice("1", "1 – acute problematiek", "1 – acute problems"),
        Choice("2", "2 – niet zelfredzaam", "2 – not self-sufficient"),
        Choice("3", "3 – beperkt zelfredzaam", "3 – partly self-sufficient"),
        Choice("4", "4 – voldoende zelfredzaam", "4 – sufficiently self-sufficient"),
        Choice("5", "5 – volledig zelfredzaam", "5 – fully self-sufficient"),
    ),
    "yes_no": (Choice("yes", "Ja", "Yes"), Choice("no", "Nee", "No")),
    "country": (
        Choice("SY", "Syrië", "Syria"),
        Choice("ER", "Eritrea", "Eritrea"),
        Choice("AF", "Afghanistan", "Afghanistan"),
        Choice("TR", "Turkije", "Turkey"),
        Choice("IQ", "Irak", "Iraq"),
        Choice("IR", "Iran", "Iran"),
        Choice("YE", "Jemen", "Yemen"),
        Choice("SO", "Somalië", "Somalia"),
        Choice("SD", "Soedan", "Sudan"),
        Choice("ET", "Ethiopië", "Ethiopia"),
        Choice("UA", "Oekraïne", "Ukraine"),
        Choice("ZZ", "Ander land", "Other country"),
    ),
}

#: Choice lists that are the programme's category lists (programmes.Category.kind).
CATEGORY_LISTS: frozenset[str] = frozenset(
    {
        "language",
        "acquaintance",
        "household_type",
        "group_type",
        "goal",
        "education",
        "sector",
        "employment",
        "contact_kind",
        "support_need",
    }
)

#: The SSM domain labels (the category list ``ssm_domain``), fixed here so forms need no query.
SSM_DOMAIN_LABELS: dict[str, tuple[str, str]] = {
    "finances": ("Financiën", "Finances"),
    "work_education": ("Werk en opleiding", "Work and education"),
    "daytime_activities": ("Tijdsbesteding", "Daytime activities"),
    "housing": ("Huisvesting", "Housing"),
    "domestic_relations": ("Huiselijke relaties", "Domestic relations"),
    "mental_health": ("Geestelijke gezondheid", "Mental health"),
    "physical_health": ("Lichamelijke gezondheid", "Physical health"),
    "addiction": ("Middelengebruik", "Substance use"),
    "basic_adl": ("Basale ADL", "Basic activities of daily living"),
    "instrumental_adl": ("Instrumentele ADL", "Instrumental activities of daily living"),
    "social_network": ("Sociaal netwerk", "Social network"),
    "community_participation": ("Maatschappelijke participatie", "Community participation"),
    "justice": ("Justitie", "Justice"),
}


def choice_labels(list_name: str) -> dict[str, str]:
    """Code → label of a choice list, in the active language."""
    return {choice.code: choice.label for choice in choices(list_name)}


def choice_label(list_name: str, code: str) -> str:
    """The label of one code in a choice list, in the active language; the code if unknown."""
    return choice_labels(list_name).get(code, code)


def choices(list_name: str) -> tuple[Choice, ...]:
    """The choices of a list: fixed ones, or the active entries of a category list."""
    if list_name in FIXED_CHOICES:
        return FIXED_CHOICES[list_name]
    if list_name in CATEGORY_LISTS:
        from welcomematch.programmes.selectors import category_entries

        return tuple(Choice(c.code, c.label_nl, c.label_en) for c in category_entries(list_name))
    raise KeyError(list_name)


# --- the group questionnaire -------------------------------------------------------------

NON_DISCRIMINATION_NL = (
    "Wij accepteren ieder huishouden dat ons wordt voorgesteld, ongeacht herkomst, religie, "
    "huidskleur, gender, seksuele oriëntatie of gezinssamenstelling. Onze rangorde van "
    "huishoudtypen is een voorkeur, geen voorwaarde."
)
NON_DISCRIMINATION_EN = (
    "We accept every household proposed to us, regardless of origin, religion, skin colour, "
    "gender, sexual orientation or family composition. Our ranking of household types is a "
    "preference, not a condition."
)
GROUP_CONSENT_NL = (
    "Wij geven toestemming om onze antwoorden te gebruiken voor de koppeling met een huishouden "
    "en, zonder namen, voor de evaluatie van het programma."
)
GROUP_CONSENT_EN = (
    "We consent to our answers being used to match us with a household and, without names, "
    "for the evaluation of the programme."
)

_G = "group"
_M = "members"
_P = "matching"
_O = "about"
_C = "agreement"

GROUP_QUESTIONNAIRE = Questionnaire(
    kind="groups",
    form_id="welcomematch_group_intake",
    title_nl="Intake Welkomstgroep",
    title_en="Welcome Group intake",
    minutes=10,
    sections=(
        Section(
            _G,
            "Uw groep",
            "Your group",
            intro_nl="Wie u bent en waar u woont.",
            intro_en="Who you are and where you live.",
        ),
        Section(
            _M,
            "Groepsleden",
            "Members",
            repeat=True,
            intro_nl="Eén regel per groepslid. Voornaam en leeftijd zijn genoeg.",
            intro_en="One row per member. First name and age are enough.",
        ),
        Section(
            _P,
            "Wat u zoekt",
            "What you are looking for",
            intro_nl="Hiermee zoeken we een huishouden dat bij u past.",
            intro_en="We use this to find a household that suits you.",
        ),
        Section(
            _O,
            "Meer over uw groep",
            "More about your group",
            optional=True,
            intro_nl="Deze vragen zijn optioneel.",
            intro_en="These questions are optional.",
        ),
        Section(_C, "Toestemming en principes", "Consent and principles"),
    ),
    questions=(
        Question("name", TEXT, "Naam van de groep", "Group name", _G, required=True),
        Question(
            "contact_email",
            EMAIL,
            "E-mailadres van de contactpersoon",
            "Contact person's e-mail",
            _G,
            required=True,
        ),
        Question(
            "contact_phone",
            TEXT,
            "Telefoonnummer van de contactpersoon",
            "Contact person's phone",
            _G,
        ),
        Question(
            "postcode",
            TEXT,
            "Postcode waar de groep woont",
            "Postcode where the group lives",
            _G,
            hint_nl="Bijvoorbeeld 1315 AB of 1315.",
            hint_en="For example 1315 AB or 1315.",
        ),
        Question(
            "latitude",
            DECIMAL,
            "Of: breedtegraad",
            "Or: latitude",
            _G,
            minimum=-90,
            maximum=90,
            hint_nl="Alleen als u geen postcode invult.",
            hint_en="Only if you give no postcode.",
        ),
        Question(
            "longitude", DECIMAL, "en lengtegraad", "and longitude", _G, minimum=-180, maximum=180
        ),
        Question(
            "acquaintance",
            SELECT_ONE,
            "Hoe kennen de groepsleden elkaar?",
            "How do the members know each other?",
            _G,
            required=True,
            choices="acquaintance",
        ),
        Question(
            "languages",
            SELECT_MULTIPLE,
            "Welke talen spreekt de groep?",
            "Which languages does the group speak?",
            _G,
            required=True,
            choices="language",
        ),
        Question(
            "motivation",
            TEXTAREA,
            "Waarom wilt u een huishouden verwelkomen?",
            "Why do you want to welcome a household?",
            _G,
            required=True,
            hint_nl="Een paar zinnen is genoeg.",
            hint_en="A few sentences are enough.",
        ),
        Question("first_name", TEXT, "Voornaam", "First name", _M, required=True),
        Question("age", INTEGER, "Leeftijd", "Age", _M, required=True, minimum=16, maximum=120),
        Question("gender", SELECT_ONE, "Gender", "Gender", _M, choices="gender", default="unknown"),
        Question("education", SELECT_ONE, "Opleiding", "Education", _M, choices="education"),
        Question("occupation", TEXT, "Beroep", "Occupation", _M),
        Question("sector", SELECT_ONE, "Werkveld", "Work field", _M, choices="sector"),
        Question(
            "volunteered_with_refugees",
            BOOLEAN,
            "Eerder vrijwilliger voor vluchtelingen",
            "Volunteered with refugees before",
            _M,
        ),
        Question("has_children", BOOLEAN, "Heeft kinderen", "Has children", _M),
        Question(
            "willingness",
            SELECT_ONE,
            "Wilt u een huishouden met meer ondersteuningsbehoefte verwelkomen?",
            "Would you welcome a household with more support needs?",
            _P,
            required=True,
            choices="willingness",
            numeric=True,
            default=0,
        ),
        Question(
            "experience",
            SELECT_ONE,
            "Heeft de groep ervaring met kwetsbare mensen?",
            "Does the group have experience with vulnerable people?",
            _P,
            required=True,
            choices="experience",
            numeric=True,
            default=0,
        ),
        Question(
            "ranking",
            RANK,
            "Zet de huishoudtypen in volgorde van voorkeur",
            "Rank the household types in order of preference",
            _P,
            required=True,
            choices="household_type",
            hint_nl="1 is uw eerste voorkeur. Een voorkeur, geen voorwaarde.",
            hint_en="1 is your first preference. A preference, not a condition.",
        ),
        Question(
            "hours_per_month",
            INTEGER,
            "Hoeveel uur per maand heeft de groep samen?",
            "How many hours a month does the group have together?",
            _P,
            required=True,
            minimum=1,
            maximum=200,
        ),
        Question(
            "contact_kind",
            SELECT_ONE,
            "Wat voor contact zoekt u?",
            "What kind of contact are you looking for?",
            _P,
            required=True,
            choices="contact_kind",
        ),
        Question(
            "availability",
            TEXTAREA,
            "Wanneer bent u beschikbaar?",
            "When are you available?",
            _P,
            required=True,
            hint_nl="Bijvoorbeeld: doordeweeks 's avonds en in het weekend.",
            hint_en="For example: weekday evenings and weekends.",
        ),
        Question(
            "group_type",
            SELECT_ONE,
            "Welk type groep bent u?",
            "What type of group are you?",
            _O,
            choices="group_type",
        ),
        Question("hobbies", TEXTAREA, "Hobby's en interesses", "Hobbies and interests", _O),
        Question(
            "consent",
            ACKNOWLEDGE,
            GROUP_CONSENT_NL,
            GROUP_CONSENT_EN,
            _C,
            required=True,
            field="consent_at",
        ),
        Question(
            "non_discrimination",
            ACKNOWLEDGE,
            NON_DISCRIMINATION_NL,
            NON_DISCRIMINATION_EN,
            _C,
            required=True,
            field="non_discrimination_at",
        ),
    ),
)

# --- the household interview -------------------------------------------------------------

HOUSEHOLD_CONSENT_NL = (
    "Het huishouden geeft toestemming om deze gegevens te gebruiken voor de koppeling met een "
    "Welkomstgroep en, zonder namen, voor de evaluatie. Gevoelige gegevens ziet alleen de "
    "coördinator."
)
HOUSEHOLD_CONSENT_EN = (
    "The household consents to these answers being used to match it with a Welcome Group and, "
    "without names, for the evaluation. Only the coordinator sees sensitive data."
)
HOUSEHOLD_PRINCIPLES_NL = (
    "De principes van non-discriminatie zijn uitgelegd: groepen accepteren ieder huishouden, "
    "en het huishouden wordt niet gekoppeld op basis van herkomst of religie."
)
HOUSEHOLD_PRINCIPLES_EN = (
    "The non-discrimination principles were explained: groups accept every household, and "
    "households are never matched on origin or religion."
)

_H = "household"
_PE = "persons"
_L = "background"
_S = "ssm"
_N = "support"
_HC = "agreement"


def _ssm_questions() -> tuple[Question, ...]:
    return tuple(
        Question(
            f"ssm_{domain}",
            SELECT_ONE,
            SSM_DOMAIN_LABELS[domain][0],
            SSM_DOMAIN_LABELS[domain][1],
            _S,
            required=True,
            choices="ssm_scale",
            sensitive=True,
            field="ssm_scores",
            key=domain,
            numeric=True,
        )
        for domain in SSM_DOMAINS
    )


HOUSEHOLD_QUESTIONNAIRE = Questionnaire(
    kind="households",
    form_id="welcomematch_household_intake",
    title_nl="Intakegesprek huishouden",
    title_en="Household interview",
    minutes=20,
    sections=(
        Section(_H, "Contact en woonplaats", "Contact and address"),
        Section(
            _PE,
            "Gezinsleden",
            "Persons",
            repeat=True,
            intro_nl="Eén regel per persoon, ook de contactpersoon. Het huishoudtype volgt hieruit.",
            intro_en="One row per person, the contact included. The household type follows from these.",
        ),
        Section(_L, "Achtergrond, taal en doelen", "Background, languages and goals"),
        Section(
            _S,
            "Zelfredzaamheid (13 domeinen)",
            "Self-sufficiency (13 domains)",
            sensitive=True,
            intro_nl="Score per domein: 1 acute problematiek … 5 volledig zelfredzaam.",
            intro_en="Score per domain: 1 acute problems … 5 fully self-sufficient.",
        ),
        Section(_N, "Ondersteuningsbehoefte", "Support needs", sensitive=True),
        Section(_HC, "Toestemming", "Consent"),
    ),
    questions=(
        Question("contact_name", TEXT, "Naam contactpersoon", "Contact name", _H, required=True),
        Question("contact_phone", TEXT, "Telefoonnummer", "Phone", _H),
        Question("contact_email", EMAIL, "E-mailadres", "E-mail", _H),
        Question(
            "postcode",
            TEXT,
            "Postcode",
            "Postcode",
            _H,
            hint_nl="Bijvoorbeeld 1315 AB of 1315.",
            hint_en="For example 1315 AB or 1315.",
        ),
        Question(
            "latitude",
            DECIMAL,
            "Of: breedtegraad",
            "Or: latitude",
            _H,
            minimum=-90,
            maximum=90,
            hint_nl="Alleen als er geen postcode is.",
            hint_en="Only if there is no postcode.",
        ),
        Question(
            "longitude", DECIMAL, "en lengtegraad", "and longitude", _H, minimum=-180, maximum=180
        ),
        Question("interviewed_at", DATE, "Datum van het gesprek", "Interview date", _H),
        Question(
            "relation",
            SELECT_ONE,
            "Relatie",
            "Relation",
            _PE,
            required=True,
            choices="relation",
            default="other",
        ),
        Question(
            "age", INTEGER, "Leeftijd", "Age", _PE, required=True, minimum=0, maximum=120, default=0
        ),
        Question(
            "gender",
            SELECT_ONE,
            "Gender",
            "Gender",
            _PE,
            required=True,
            choices="gender",
            default="unknown",
        ),
        Question(
            "country_of_origin",
            SELECT_ONE,
            "Land van herkomst",
            "Country of origin",
            _L,
            choices="country",
            sensitive=True,
        ),
        Question(
            "housed_year",
            INTEGER,
            "Jaar van huisvesting",
            "Year housed",
            _L,
            minimum=2000,
            maximum=2100,
        ),
        Question(
            "languages",
            SELECT_MULTIPLE,
            "Talen",
            "Languages",
            _L,
            required=True,
            choices="language",
        ),
        Question(
            "cefr_dutch",
            SELECT_ONE,
            "Nederlands (eigen inschatting, ERK)",
            "Dutch (self-assessed, CEFR)",
            _L,
            required=True,
            choices="cefr",
            default="none",
        ),
        Question(
            "cefr_english",
            SELECT_ONE,
            "Engels (eigen inschatting, ERK)",
            "English (self-assessed, CEFR)",
            _L,
            required=True,
            choices="cefr",
            default="none",
        ),
        Question("education", SELECT_ONE, "Opleiding", "Education", _L, choices="education"),
        Question("employment", SELECT_ONE, "Werk", "Work", _L, choices="employment"),
        Question("work_field", SELECT_ONE, "Werkveld", "Work field", _L, choices="sector"),
        Question("goals", SELECT_MULTIPLE, "Doelen", "Goals", _L, required=True, choices="goal"),
        Question(
            "ranking",
            RANK,
            "Volgorde van voorkeur voor groepstypen",
            "Ranking of group types",
            _L,
            required=True,
            choices="group_type",
            hint_nl="1 is de eerste voorkeur.",
            hint_en="1 is the first preference.",
        ),
        Question("hobbies", TEXTAREA, "Hobby's en interesses", "Hobbies and interests", _L),
        *_ssm_questions(),
        Question(
            "support_flags",
            SELECT_MULTIPLE,
            "Ondersteuningsbehoefte",
            "Support needs",
            _N,
            choices="support_need",
            sensitive=True,
            flags=SUPPORT_FLAGS,
        ),
        Question("support_notes", TEXTAREA, "Toelichting", "Notes", _N, sensitive=True),
        Question(
            "wants_ambassador",
            BOOLEAN,
            "Wil een cultureel ambassadeur",
            "Wants a cultural ambassador",
            _N,
            default=True,
        ),
        Question(
            "consent",
            ACKNOWLEDGE,
            HOUSEHOLD_CONSENT_NL,
            HOUSEHOLD_CONSENT_EN,
            _HC,
            required=True,
            field="consent_at",
        ),
        Question(
            "non_discrimination",
            ACKNOWLEDGE,
            HOUSEHOLD_PRINCIPLES_NL,
            HOUSEHOLD_PRINCIPLES_EN,
            _HC,
            required=True,
            field="non_discrimination_at",
        ),
    ),
)

QUESTIONNAIRES: dict[str, Questionnaire] = {
    GROUP_QUESTIONNAIRE.kind: GROUP_QUESTIONNAIRE,
    HOUSEHOLD_QUESTIONNAIRE.kind: HOUSEHOLD_QUESTIONNAIRE,
}


def non_repeat_sections(questionnaire: Questionnaire) -> Sequence[Section]:
    return [s for s in questionnaire.sections if not s.repeat]


# --- answers: required ones, and the model fields they fill -----------------------------


def is_answered(value: Any) -> bool:
    """An answer counts when it is not empty (or blank); an unticked acknowledgement is none."""
    if isinstance(value, str):
        return bool(value.strip())
    return value not in (None, [], False)


def _location_given(answers: Mapping[str, Any]) -> bool:
    return is_answered(answers.get("postcode")) or (
        is_answered(answers.get("latitude")) and is_answered(answers.get("longitude"))
    )


def missing_answers(
    questionnaire: Questionnaire, answers: Mapping[str, Any], *, section: str | None = None
) -> list[str]:
    """The required answers that ``answers`` lacks, by question name: the one check of the
    summary page, the invitation's submit and the import.

    With ``section``, only that section's questions (for a repeat section, ``answers`` is one
    of its rows). Without, the whole questionnaire: a repeat section without rows is missing
    as a whole (its name), a missing answer in a row as ``members.0.age``. Where a section
    asks for the postcode, a location is required: a postcode, or both coordinates.
    """
    if section is None:
        missing: list[str] = []
        for part in questionnaire.sections:
            if not part.repeat:
                missing += missing_answers(questionnaire, answers, section=part.name)
                continue
            rows = answers.get(part.name) or []
            if not rows:
                missing.append(part.name)
            for index, row in enumerate(rows):
                missing += [
                    f"{part.name}.{index}.{name}"
                    for name in missing_answers(questionnaire, row, section=part.name)
                ]
        return missing
    questions = questionnaire.in_section(section)
    missing = [q.name for q in questions if q.required and not is_answered(answers.get(q.name))]
    if any(q.name == "postcode" for q in questions) and not _location_given(answers):
        missing.append("postcode")
    return missing


def answer_label(questionnaire: Questionnaire, name: str) -> str:
    """A name from :func:`missing_answers` in words: ``members.1.age`` → ``Members 2: Age``."""
    parts = name.split(".")
    if len(parts) == 3:
        section = questionnaire.section(parts[0])
        return f"{section.label} {int(parts[1]) + 1}: {questionnaire.question(parts[2]).label}"
    if any(s.name == name and s.repeat for s in questionnaire.sections):
        return questionnaire.section(name).label
    return questionnaire.question(name).label


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def answer_value(question: Question, value: Any, *, now: datetime) -> Any:
    """One answer as its model field stores it (``question.default`` when empty)."""
    empty = value in (None, "")
    if question.kind == ACKNOWLEDGE:
        return now if value else None
    if question.kind == BOOLEAN:
        return bool(question.default) if value is None else bool(value)
    if question.kind == INTEGER or question.numeric:
        return question.default if empty else int(value)
    if question.kind == DECIMAL:
        return None if empty else float(value)
    if question.kind == DATE:
        return _date(value)
    if question.flags:
        chosen = set(value or [])
        return {flag: flag in chosen for flag in question.flags}
    if question.kind in (SELECT_MULTIPLE, RANK):
        return list(value or [])
    return _text(value) or (question.default or "")


def _fields(
    questions: Sequence[Question], answers: Mapping[str, Any], *, now: datetime
) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for question in questions:
        value = answer_value(question, answers.get(question.name), now=now)
        if question.key:
            entries = fields.setdefault(question.field_name, {})
            if value is not None:
                entries[question.key] = value
        else:
            fields[question.field_name] = value
    return fields


def fields_from_answers(
    questionnaire: Questionnaire, answers: Mapping[str, Any], *, now: datetime
) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """The model fields a questionnaire's answers fill, and the fields of each repeat row
    (``{"members": [{...}, ...]}``): every question is mapped, so a new question cannot be
    silently dropped."""
    rows = {
        part.name: [
            _fields(questionnaire.in_section(part.name), row, now=now)
            for row in answers.get(part.name) or []
        ]
        for part in questionnaire.repeats
    }
    return _fields(questionnaire.main_questions(), answers, now=now), rows


def record_answer(question: Question, stored: Any) -> Any:
    """A stored model value as the answer a form shows (the inverse of :func:`answer_value`):
    choice codes as text, a dictionary entry by its key, flags as the list of those set."""
    if question.key:
        stored = (stored or {}).get(question.key)
    if question.kind == ACKNOWLEDGE:
        return stored is not None
    if question.flags:
        return [flag for flag in question.flags if (stored or {}).get(flag)]
    if stored is None:
        return None
    if question.numeric:
        return str(stored)
    if question.kind == DATE:
        return stored.isoformat() if isinstance(stored, date) else str(stored)
    if question.kind in (SELECT_MULTIPLE, RANK):
        return list(stored)
    return stored


def _record_answers(questions: Sequence[Question], record: Any) -> dict[str, Any]:
    return {q.name: record_answer(q, getattr(record, q.field_name)) for q in questions}


def answers_from_record(
    questionnaire: Questionnaire, record: Any, rows: Mapping[str, Sequence[Any]]
) -> dict[str, Any]:
    """A saved record's answers, as a questionnaire holds them: the edit form's initial values,
    a re-opened link's pre-filled answers and the "before" and "after" of a change. ``rows``:
    the rows of each repeat section (``{"members": group.members.all()}``); each row's answers
    carry its ``id``, so a row keeps its identity (and its survey links) through an edit."""
    answers = _record_answers(questionnaire.main_questions(), record)
    if answers.get("postcode") and "latitude" in answers:
        # The coordinates follow from the postcode; answered, they would outweigh a new one.
        answers["latitude"] = answers["longitude"] = None
    for part in questionnaire.repeats:
        answers[part.name] = [
            {"id": row.pk, **_record_answers(questionnaire.in_section(part.name), row)}
            for row in rows.get(part.name, ())
        ]
    return answers
