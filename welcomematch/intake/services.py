"""Writers for intake: groups, households, derived levels, postcodes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from welcomematch.accounts.models import User
from welcomematch.accounts.services import audit_record
from welcomematch.core.composition import Gender as CoreGender
from welcomematch.core.composition import PersonFacts, household_type
from welcomematch.core.levels import CapacityRule, VulnerabilityRule
from welcomematch.intake.models import Household, Person, Postcode, WelcomeGroup
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
    """The next free reference like ``G-0042`` (never reused, so exports stay stable)."""
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
