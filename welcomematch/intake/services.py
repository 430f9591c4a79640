"""Writers for intake: groups, households, derived levels, postcodes."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from welcomematch.accounts.models import User
from welcomematch.accounts.services import audit_record
from welcomematch.core.composition import Gender as CoreGender
from welcomematch.core.composition import PersonFacts, household_type
from welcomematch.core.levels import SSM_DOMAINS, SUPPORT_FLAGS, CapacityRule, VulnerabilityRule
from welcomematch.intake.models import (
    GroupInvitation,
    GroupMember,
    Household,
    Person,
    Postcode,
    WelcomeGroup,
)
from welcomematch.locks import serialize
from welcomematch.programmes.models import City, Programme

ERR_POSTCODE_FORMAT = "{code!r} is not a Dutch postcode (use 1234 or 1234 AB)."
ERR_POSTCODE_UNKNOWN = "Postcode {code} is not in the postcode table."
ERR_POSTCODE_TABLE_EMPTY = (
    "No postcode table is loaded. Load one with: welcomematch postcodes load NL.txt "
    "(a GeoNames postal-code dump), or enter coordinates directly."
)
ERR_NO_LOCATION = "Give a postcode or both latitude and longitude."
ERR_NO_ADULT = "A household needs at least one adult (18 or older)."
ERR_OVERRIDE_REASON = "An override needs a written reason."
ERR_GEONAMES_ROW = "line {line}: {problem}"

_NL_POSTCODE = re.compile(r"^\s*(\d{4})\s*([A-Za-z]{2})?\s*$")


def normalise_postcode(code: str, *, country: str = "NL") -> str:
    """``1315ab`` → ``1315 AB``; ``1315`` stays ``1315``. Raises ValidationError if malformed."""
    if country != "NL":
        return code.strip().upper()
    match = _NL_POSTCODE.match(code)
    if not match:
        raise ValidationError(ERR_POSTCODE_FORMAT.format(code=code), code="postcode_format")
    digits, letters = match.groups()
    return f"{digits} {letters.upper()}" if letters else digits


def geocode_postcode(code: str, *, country: str = "NL") -> Postcode:
    """The coordinates of a postcode: the full code if loaded, else its 4-digit area (PC4)."""
    normalised = normalise_postcode(code, country=country)
    candidates = [normalised]
    if country == "NL" and " " in normalised:
        candidates.append(normalised.split(" ")[0])
    for candidate in candidates:
        found = Postcode.objects.filter(country=country, code=candidate).first()
        if found is not None:
            return found
    if not Postcode.objects.filter(country=country).exists():
        raise ValidationError(ERR_POSTCODE_TABLE_EMPTY, code="postcode_table_empty")
    raise ValidationError(ERR_POSTCODE_UNKNOWN.format(code=normalised), code="postcode_unknown")


def resolve_location(
    *, postcode: str, latitude: float | None, longitude: float | None, country: str = "NL"
) -> tuple[str, float, float]:
    """Normalised postcode and coordinates; entered coordinates win over the postcode's."""
    if latitude is not None and longitude is not None:
        return (
            normalise_postcode(postcode, country=country) if postcode else "",
            latitude,
            longitude,
        )
    if not postcode:
        raise ValidationError(ERR_NO_LOCATION, code="no_location")
    found = geocode_postcode(postcode, country=country)
    return normalise_postcode(postcode, country=country), found.latitude, found.longitude


@transaction.atomic
def postcodes_load(*, lines: Iterable[str]) -> int:
    """Load a GeoNames postal-code dump (tab-separated, no header); returns rows loaded.

    Columns: country, postal code, place, admin1 name, admin1 code, admin2 name (municipality),
    admin2 code, admin3 name, admin3 code, latitude, longitude, accuracy. Existing codes are
    updated; the whole file loads or nothing does.
    """
    rows: dict[tuple[str, str], Postcode] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        fields = line.rstrip("\r\n").split("\t")
        if len(fields) < 11:
            raise ValidationError(
                ERR_GEONAMES_ROW.format(
                    line=number, problem=f"expected 12 tab-separated columns, got {len(fields)}"
                )
            )
        try:
            lat, lon = float(fields[9]), float(fields[10])
        except ValueError:
            raise ValidationError(
                ERR_GEONAMES_ROW.format(
                    line=number,
                    problem=f"latitude/longitude not numbers: {fields[9]!r}, {fields[10]!r}",
                )
            ) from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValidationError(
                ERR_GEONAMES_ROW.format(line=number, problem="coordinates out of range")
            )
        country = fields[0].strip().upper()
        code = (
            normalise_postcode(fields[1], country=country) if country == "NL" else fields[1].strip()
        )
        rows[(country, code)] = Postcode(
            country=country,
            code=code,
            place=fields[2].strip(),
            municipality=fields[5].strip(),
            latitude=lat,
            longitude=lon,
        )
    if not rows:
        raise ValidationError(ERR_GEONAMES_ROW.format(line=0, problem="the file has no rows"))
    Postcode.objects.bulk_create(
        rows.values(),
        update_conflicts=True,
        unique_fields=["country", "code"],
        update_fields=["place", "municipality", "latitude", "longitude"],
        batch_size=1000,
    )
    return len(rows)


def postcodes_load_file(*, path: Path) -> int:
    with path.open(encoding="utf-8") as handle:
        return postcodes_load(lines=handle)


#: The demo's postcode subset (Almere, Den Haag, Haarlem, Rotterdam), © GeoNames, CC BY 4.0.
BUNDLED_DEMO_POSTCODES = Path(__file__).resolve().parent / "data" / "geonames-nl-demo.txt"


def postcodes_load_bundled_demo() -> int:
    """Load the postcode subset shipped in the package for the demo; returns rows loaded."""
    return postcodes_load_file(path=BUNDLED_DEMO_POSTCODES)


def _check(instance: Any) -> None:
    instance.full_clean()


@dataclass(frozen=True)
class MemberData:
    first_name: str
    age: int | None = None
    gender: str = "unknown"
    education: str = ""
    occupation: str = ""
    sector: str = ""
    volunteered_with_refugees: bool = False
    has_children: bool = False
    email: str = ""


@dataclass(frozen=True)
class PersonData:
    relation: str
    age: int
    gender: str = "unknown"


def derive_household_type(persons: Sequence[PersonData]) -> str:
    try:
        facts = [PersonFacts(age=p.age, gender=CoreGender(p.gender)) for p in persons]
        return household_type(facts).value
    except ValueError:
        raise ValidationError({"persons": ERR_NO_ADULT}, code="no_adult") from None


def derive_vulnerability(
    *,
    programme: Programme,
    ssm_scores: Mapping[str, int],
    support_flags: Mapping[str, bool],
    household_type: str,
) -> int:
    rule = VulnerabilityRule.from_dict(programme.vulnerability_rule)
    return rule.level(ssm_scores, support_flags, household_type)


def derive_capacity(*, programme: Programme, willingness: int, experience: int) -> int:
    return CapacityRule.from_dict(programme.capacity_rule).level(willingness, experience)


def next_reference(prefix: str, model: type[WelcomeGroup] | type[Household]) -> str:
    """The next free reference like ``G-0042`` (never reused, so exports stay stable).

    Concurrent creators wait for each other here, so two never draw the same reference.
    """
    serialize(f"reference:{prefix}")
    last = model.objects.filter(reference__startswith=f"{prefix}-").order_by("-reference").first()
    number = int(last.reference.split("-")[1]) + 1 if last else 1
    return f"{prefix}-{number:04d}"


@transaction.atomic
def group_create(
    *,
    programme: Programme,
    city: City,
    name: str,
    members: Sequence[MemberData],
    actor: User | None,
    postcode: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    willingness: int = 0,
    experience: int = 0,
    group_type: str = "",
    ranking: Sequence[str] = (),
    completed: bool = False,
    consent_at: datetime | None = None,
    **fields: Any,
) -> WelcomeGroup:
    """Register a Welcome Group with its members; derives the capacity level."""
    if postcode or (latitude is not None and longitude is not None):
        postcode, latitude, longitude = resolve_location(
            postcode=postcode, latitude=latitude, longitude=longitude, country=programme.country
        )
    group = WelcomeGroup(
        programme=programme,
        city=city,
        reference=next_reference("G", WelcomeGroup),
        name=name,
        postcode=postcode,
        latitude=latitude,
        longitude=longitude,
        willingness=willingness,
        experience=experience,
        capacity=derive_capacity(
            programme=programme, willingness=willingness, experience=experience
        ),
        group_type=group_type,
        ranking=list(ranking),
        consent_at=consent_at,
        intake_completed_at=timezone.now() if completed else None,
        **fields,
    )
    _check(group)
    group.save()
    for member in members:
        row = group.members.model(group=group, **member.__dict__)
        _check(row)
        row.save()
    audit_record(actor=actor, action="group.created", obj=group, data={"members": len(members)})
    return group


@transaction.atomic
def household_create(
    *,
    programme: Programme,
    city: City,
    contact_name: str,
    persons: Sequence[PersonData],
    actor: User | None,
    postcode: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    ssm_scores: Mapping[str, int] | None = None,
    support_flags: Mapping[str, bool] | None = None,
    ranking: Sequence[str] = (),
    completed: bool = False,
    interviewed_at: date | None = None,
    consent_at: datetime | None = None,
    **fields: Any,
) -> Household:
    """Register a household with its persons; derives its type and vulnerability level."""
    htype = derive_household_type(persons)
    scores = dict(ssm_scores or {})
    flags = {k: bool(v) for k, v in (support_flags or {}).items()}
    if postcode or (latitude is not None and longitude is not None):
        postcode, latitude, longitude = resolve_location(
            postcode=postcode, latitude=latitude, longitude=longitude, country=programme.country
        )
    household = Household(
        programme=programme,
        city=city,
        reference=next_reference("H", Household),
        contact_name=contact_name,
        postcode=postcode,
        latitude=latitude,
        longitude=longitude,
        household_type=htype,
        ssm_scores=scores,
        support_flags=flags,
        vulnerability=derive_vulnerability(
            programme=programme, ssm_scores=scores, support_flags=flags, household_type=htype
        ),
        ranking=list(ranking),
        interviewer=actor if actor is not None and actor.pk else None,
        interviewed_at=interviewed_at,
        consent_at=consent_at,
        intake_completed_at=timezone.now() if completed else None,
        **fields,
    )
    _check(household)
    household.save()
    for person in persons:
        row = Person(
            household=household, relation=person.relation, age=person.age, gender=person.gender
        )
        _check(row)
        row.save()
    audit_record(
        actor=actor, action="household.created", obj=household, data={"persons": len(persons)}
    )
    return household


@transaction.atomic
def household_override_vulnerability(
    *, household: Household, level: int | None, reason: str, actor: User | None
) -> Household:
    """Set (or clear, with ``level=None``) a coordinator's override of the derived level."""
    if level is not None and not reason.strip():
        raise ValidationError({"vulnerability_override_reason": ERR_OVERRIDE_REASON})
    before = household.vulnerability_override
    household.vulnerability_override = level
    household.vulnerability_override_reason = reason.strip() if level is not None else ""
    _check(household)
    household.save(
        update_fields=["vulnerability_override", "vulnerability_override_reason", "updated_at"]
    )
    audit_record(
        actor=actor,
        action="household.vulnerability_overridden",
        obj=household,
        data={
            "before": before,
            "after": level,
            "derived": household.vulnerability,
            "reason": reason,
        },
    )
    return household


@transaction.atomic
def group_override_capacity(
    *, group: WelcomeGroup, level: int | None, reason: str, actor: User | None
) -> WelcomeGroup:
    """Set (or clear, with ``level=None``) a coordinator's override of the derived capacity."""
    if level is not None and not reason.strip():
        raise ValidationError({"capacity_override_reason": ERR_OVERRIDE_REASON})
    before = group.capacity_override
    group.capacity_override = level
    group.capacity_override_reason = reason.strip() if level is not None else ""
    _check(group)
    group.save(update_fields=["capacity_override", "capacity_override_reason", "updated_at"])
    audit_record(
        actor=actor,
        action="group.capacity_overridden",
        obj=group,
        data={"before": before, "after": level, "derived": group.capacity, "reason": reason},
    )
    return group


# --- updates and intake answers ----------------------------------------------------------

ERR_MEMBERS_REQUIRED = "A group needs at least one member."
ERR_PERSONS_REQUIRED = "A household needs at least one person."
ERR_RULE_INVALID = "The rule is not valid: {problem}"

_GROUP_UPDATABLE = frozenset(
    {f.name for f in WelcomeGroup._meta.get_fields() if getattr(f, "concrete", False)}
    - {"id", "programme", "reference", "capacity", "created_at", "updated_at"}
)
_HOUSEHOLD_UPDATABLE = frozenset(
    {f.name for f in Household._meta.get_fields() if getattr(f, "concrete", False)}
    - {
        "id",
        "programme",
        "reference",
        "vulnerability",
        "household_type",
        "created_at",
        "updated_at",
    }
)


def _located(
    *, postcode: str, latitude: float | None, longitude: float | None, country: str
) -> tuple[str, float, float]:
    """Like :func:`resolve_location`, but every error names the ``postcode`` field."""
    try:
        return resolve_location(
            postcode=postcode, latitude=latitude, longitude=longitude, country=country
        )
    except ValidationError as error:
        raise ValidationError({"postcode": error.messages}) from None


def _replace_rows(rows: Sequence[Any], *, prefix: str) -> None:
    for index, row in enumerate(rows):
        try:
            row.full_clean()
        except ValidationError as error:
            raise ValidationError(
                {f"{prefix}.{index}.{field}": msgs for field, msgs in error.message_dict.items()}
            ) from None
        row.save()


def _assign(
    record: WelcomeGroup | Household, fields: Mapping[str, Any], *, allowed: Set[str], service: str
) -> None:
    """Set the changed answers; a changed postcode or coordinates is geocoded again."""
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"{service}: not updatable: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(record, name, value)
    if {"postcode", "latitude", "longitude"} & set(fields) and (
        record.postcode or record.has_location
    ):
        record.postcode, record.latitude, record.longitude = _located(
            postcode=record.postcode,
            latitude=record.latitude,
            longitude=record.longitude,
            country=record.programme.country,
        )


@transaction.atomic
def group_update(
    *,
    group: WelcomeGroup,
    actor: User | None,
    members: Sequence[MemberData] | None = None,
    completed: bool | None = None,
    **fields: Any,
) -> WelcomeGroup:
    """Change a group's answers (and members); the capacity level is derived again."""
    _assign(group, fields, allowed=_GROUP_UPDATABLE, service="group_update")
    group.capacity = derive_capacity(
        programme=group.programme, willingness=group.willingness, experience=group.experience
    )
    if completed and group.intake_completed_at is None:
        group.intake_completed_at = timezone.now()
    _check(group)
    group.save()
    if members is not None:
        group.members.all().delete()
        _replace_rows([GroupMember(group=group, **m.__dict__) for m in members], prefix="members")
    audit_record(actor=actor, action="group.updated", obj=group, data={"fields": sorted(fields)})
    return group


@transaction.atomic
def household_update(
    *,
    household: Household,
    actor: User | None,
    persons: Sequence[PersonData] | None = None,
    completed: bool | None = None,
    **fields: Any,
) -> Household:
    """Change a household's answers (and persons); its type and level are derived again."""
    _assign(household, fields, allowed=_HOUSEHOLD_UPDATABLE, service="household_update")
    if persons is not None:
        if not persons:
            raise ValidationError({"persons": ERR_PERSONS_REQUIRED})
        household.household_type = derive_household_type(persons)
    household.support_flags = {k: bool(v) for k, v in household.support_flags.items()}
    household.vulnerability = derive_vulnerability(
        programme=household.programme,
        ssm_scores=household.ssm_scores,
        support_flags=household.support_flags,
        household_type=household.household_type,
    )
    if completed and household.intake_completed_at is None:
        household.intake_completed_at = timezone.now()
    _check(household)
    household.save()
    if persons is not None:
        household.persons.all().delete()
        _replace_rows(
            [Person(household=household, **p.__dict__) for p in persons], prefix="persons"
        )
    audit_record(
        actor=actor, action="household.updated", obj=household, data={"fields": sorted(fields)}
    )
    return household


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _int_or_none(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def _float_or_none(value: Any) -> float | None:
    return None if value in (None, "") else float(value)


def _date_or_none(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def group_fields_from_answers(
    answers: Mapping[str, Any],
) -> tuple[dict[str, Any], list[MemberData]]:
    """Model fields and members from the group questionnaire's answers (see questions.py)."""
    now = timezone.now()
    fields: dict[str, Any] = {
        name: _text(answers.get(name))
        for name in (
            "name",
            "contact_email",
            "contact_phone",
            "postcode",
            "acquaintance",
            "motivation",
            "group_type",
            "hobbies",
            "contact_kind",
            "availability",
        )
    }
    fields["latitude"] = _float_or_none(answers.get("latitude"))
    fields["longitude"] = _float_or_none(answers.get("longitude"))
    fields["languages"] = list(answers.get("languages") or [])
    fields["ranking"] = list(answers.get("ranking") or [])
    fields["willingness"] = _int_or_none(answers.get("willingness")) or 0
    fields["experience"] = _int_or_none(answers.get("experience")) or 0
    fields["hours_per_month"] = _int_or_none(answers.get("hours_per_month"))
    fields["consent_at"] = now if answers.get("consent") else None
    fields["non_discrimination_at"] = now if answers.get("non_discrimination") else None
    members = [
        MemberData(
            first_name=_text(m.get("first_name")),
            age=_int_or_none(m.get("age")),
            gender=_text(m.get("gender")) or "unknown",
            education=_text(m.get("education")),
            occupation=_text(m.get("occupation")),
            sector=_text(m.get("sector")),
            volunteered_with_refugees=bool(m.get("volunteered_with_refugees")),
            has_children=bool(m.get("has_children")),
        )
        for m in answers.get("members") or []
    ]
    return fields, members


def household_fields_from_answers(
    answers: Mapping[str, Any],
) -> tuple[dict[str, Any], list[PersonData]]:
    """Model fields and persons from the household interview's answers (see questions.py)."""
    now = timezone.now()
    fields: dict[str, Any] = {
        name: _text(answers.get(name))
        for name in (
            "contact_name",
            "contact_phone",
            "contact_email",
            "postcode",
            "country_of_origin",
            "education",
            "employment",
            "work_field",
            "hobbies",
            "support_notes",
        )
    }
    fields["cefr_dutch"] = _text(answers.get("cefr_dutch")) or "none"
    fields["cefr_english"] = _text(answers.get("cefr_english")) or "none"
    fields["latitude"] = _float_or_none(answers.get("latitude"))
    fields["longitude"] = _float_or_none(answers.get("longitude"))
    fields["interviewed_at"] = _date_or_none(answers.get("interviewed_at"))
    fields["housed_year"] = _int_or_none(answers.get("housed_year"))
    fields["languages"] = list(answers.get("languages") or [])
    fields["goals"] = list(answers.get("goals") or [])
    fields["ranking"] = list(answers.get("ranking") or [])
    fields["ssm_scores"] = {
        domain: int(answers[f"ssm_{domain}"])
        for domain in SSM_DOMAINS
        if answers.get(f"ssm_{domain}") not in (None, "")
    }
    chosen = set(answers.get("support_flags") or [])
    fields["support_flags"] = {flag: flag in chosen for flag in SUPPORT_FLAGS}
    fields["wants_ambassador"] = bool(answers.get("wants_ambassador", True))
    fields["consent_at"] = now if answers.get("consent") else None
    fields["non_discrimination_at"] = now if answers.get("non_discrimination") else None
    persons = [
        PersonData(
            relation=_text(p.get("relation")) or "other",
            age=int(p.get("age") or 0),
            gender=_text(p.get("gender")) or "unknown",
        )
        for p in answers.get("persons") or []
    ]
    return fields, persons


def _location_fields(fields: dict[str, Any], *, country: str) -> None:
    """Resolve postcode/coordinates in place; every problem names the ``postcode`` field."""
    if not fields["postcode"] and (fields["latitude"] is None or fields["longitude"] is None):
        raise ValidationError({"postcode": ERR_NO_LOCATION})
    fields["postcode"], fields["latitude"], fields["longitude"] = _located(
        postcode=fields["postcode"],
        latitude=fields["latitude"],
        longitude=fields["longitude"],
        country=country,
    )


def _keep_first_acknowledgements(record: WelcomeGroup | Household, fields: dict[str, Any]) -> None:
    """Consent and the non-discrimination principles keep the moment they were first given."""
    for name in ("consent_at", "non_discrimination_at"):
        if getattr(record, name) is not None and fields[name] is not None:
            fields[name] = getattr(record, name)


@transaction.atomic
def group_save_answers(
    *,
    programme: Programme,
    city: City,
    answers: Mapping[str, Any],
    actor: User | None,
    group: WelcomeGroup | None = None,
    external_uuid: str = "",
) -> WelcomeGroup:
    """Create or update a group from a completed group questionnaire (web, invitation, import)."""
    fields, members = group_fields_from_answers(answers)
    if not members:
        raise ValidationError({"members": ERR_MEMBERS_REQUIRED})
    _location_fields(fields, country=programme.country)
    if external_uuid:
        fields["external_uuid"] = external_uuid
    if group is None:
        return group_create(
            programme=programme, city=city, members=members, actor=actor, completed=True, **fields
        )
    _keep_first_acknowledgements(group, fields)
    return group_update(
        group=group, actor=actor, members=members, completed=True, city=city, **fields
    )


@transaction.atomic
def household_save_answers(
    *,
    programme: Programme,
    city: City,
    answers: Mapping[str, Any],
    actor: User | None,
    household: Household | None = None,
    external_uuid: str = "",
) -> Household:
    """Create or update a household from a completed interview (web form or import)."""
    fields, persons = household_fields_from_answers(answers)
    if not persons:
        raise ValidationError({"persons": ERR_PERSONS_REQUIRED})
    _location_fields(fields, country=programme.country)
    if external_uuid:
        fields["external_uuid"] = external_uuid
    if household is None:
        return household_create(
            programme=programme, city=city, persons=persons, actor=actor, completed=True, **fields
        )
    _keep_first_acknowledgements(household, fields)
    return household_update(
        household=household, actor=actor, persons=persons, completed=True, city=city, **fields
    )


# --- invitations -------------------------------------------------------------------------

#: Days an invitation link stays valid unless the coordinator chooses otherwise.
INVITATION_DAYS = 21
ERR_INVITATION_DAYS = "An invitation is valid for 1 to 90 days."
ERR_INVITATION_CLOSED = "This invitation can no longer be used."


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new_invitation(
    *, group: WelcomeGroup, actor: User | None, days: int
) -> tuple[GroupInvitation, str]:
    if not 1 <= days <= 90:
        raise ValidationError({"days": ERR_INVITATION_DAYS})
    token = secrets.token_urlsafe(32)
    invitation = GroupInvitation(
        group=group,
        token_hash=invitation_token_hash(token),
        created_by=actor if actor is not None and actor.pk else None,
        expires_at=timezone.now() + timedelta(days=days),
        answers={"name": group.name} if group.name else {},
    )
    _check(invitation)
    invitation.save()
    audit_record(
        actor=actor,
        action="group.invitation_created",
        obj=group,
        data={"invitation": invitation.pk, "expires_at": invitation.expires_at.isoformat()},
    )
    return invitation, token


@transaction.atomic
def invitation_create(
    *, group: WelcomeGroup, actor: User | None, days: int = INVITATION_DAYS
) -> tuple[GroupInvitation, str]:
    """A new invitation link for a group; returns the invitation and the token (shown once)."""
    return _new_invitation(group=group, actor=actor, days=days)


@transaction.atomic
def group_invite(
    *,
    programme: Programme,
    city: City,
    name: str,
    actor: User | None,
    contact_email: str = "",
    days: int = INVITATION_DAYS,
) -> tuple[WelcomeGroup, GroupInvitation, str]:
    """Register a group by name and invite it to fill in its own intake."""
    group = group_create(
        programme=programme,
        city=city,
        name=name,
        members=[],
        actor=actor,
        contact_email=contact_email,
    )
    invitation, token = _new_invitation(group=group, actor=actor, days=days)
    return group, invitation, token


@transaction.atomic
def invitation_revoke(*, invitation: GroupInvitation, actor: User | None) -> GroupInvitation:
    """Make a link unusable at once."""
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="group.invitation_revoked",
            obj=invitation.group,
            data={"invitation": invitation.pk},
        )
    return invitation


def invitation_is_open(invitation: GroupInvitation) -> bool:
    return (
        invitation.revoked_at is None
        and invitation.submitted_at is None
        and invitation.expires_at > timezone.now()
    )


@transaction.atomic
def invitation_save_progress(
    *, invitation: GroupInvitation, step: str, answers: Mapping[str, Any]
) -> GroupInvitation:
    """Keep a group's answers between visits (merged into what was saved before)."""
    invitation = GroupInvitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation_is_open(invitation):
        raise ValidationError(ERR_INVITATION_CLOSED, code="invitation_closed")
    invitation.answers = {**invitation.answers, **answers}
    invitation.last_step = step
    invitation.save(update_fields=["answers", "last_step"])
    return invitation


@transaction.atomic
def invitation_submit(*, invitation: GroupInvitation) -> WelcomeGroup:
    """The group's final submit: its answers become the group record; the link closes and
    forgets the saved answers (they live in the group record now)."""
    invitation = GroupInvitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation_is_open(invitation):
        raise ValidationError(ERR_INVITATION_CLOSED, code="invitation_closed")
    group = invitation.group
    group = group_save_answers(
        programme=group.programme,
        city=group.city,
        answers=invitation.answers,
        actor=None,
        group=group,
    )
    invitation.submitted_at = timezone.now()
    invitation.answers = {}
    invitation.save(update_fields=["submitted_at", "answers"])
    audit_record(
        actor=None, action="group.intake_submitted", obj=group, data={"invitation": invitation.pk}
    )
    return group


# --- the programme's rules ---------------------------------------------------------------


@transaction.atomic
def programme_rules_update(
    *,
    programme: Programme,
    vulnerability_rule: Mapping[str, Any],
    capacity_rule: Mapping[str, Any],
    actor: User | None,
) -> int:
    """Change the vulnerability and capacity rules; every derived level is computed again.

    Returns the number of groups and households whose derived level changed.
    """
    try:
        vrule = VulnerabilityRule.from_dict(vulnerability_rule)
        crule = CapacityRule.from_dict(capacity_rule)
    except (ValueError, TypeError, AttributeError) as error:
        raise ValidationError(ERR_RULE_INVALID.format(problem=error)) from None
    before = {
        "vulnerability_rule": programme.vulnerability_rule,
        "capacity_rule": programme.capacity_rule,
    }
    programme.vulnerability_rule = vrule.to_dict()
    programme.capacity_rule = crule.to_dict()
    programme.full_clean()
    programme.save(update_fields=["vulnerability_rule", "capacity_rule"])
    changed = 0
    for group in WelcomeGroup.objects.filter(programme=programme):
        level = crule.level(group.willingness, group.experience)
        if level != group.capacity:
            group.capacity = level
            group.save(update_fields=["capacity", "updated_at"])
            changed += 1
    for household in Household.objects.filter(programme=programme):
        level = vrule.level(household.ssm_scores, household.support_flags, household.household_type)
        if level != household.vulnerability:
            household.vulnerability = level
            household.save(update_fields=["vulnerability", "updated_at"])
            changed += 1
    audit_record(
        actor=actor,
        action="programme.rules_updated",
        obj=programme,
        data={"before": before, "changed_levels": changed},
    )
    return changed
