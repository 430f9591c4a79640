"""Groups and households: registering, updating, and saving a questionnaire's answers."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BigIntegerField, Max
from django.db.models.functions import Cast, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from welcomematch.accounts.models import User
from welcomematch.accounts.services import audit_record
from welcomematch.intake import questions as q
from welcomematch.intake.models import GroupMember, Household, Person, WelcomeGroup
from welcomematch.intake.services.geocoding import _located, _location_fields, resolve_location
from welcomematch.intake.services.rules import (
    _check,
    derive_capacity,
    derive_group_type,
    derive_household_type,
    derive_vulnerability,
)
from welcomematch.locks import serialize
from welcomematch.programmes.models import City, Programme

ERR_MEMBERS_REQUIRED = _("A group needs at least one member.")
ERR_PERSONS_REQUIRED = _("A household needs at least one person.")


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


def next_reference(prefix: str, model: type[WelcomeGroup] | type[Household]) -> str:
    """The next free reference like ``G-0042`` (never reused, so exports stay stable).

    The highest number is found by the database as a number, not as text: ``G-10000`` comes
    after ``G-9999`` although it sorts before it as a string. Concurrent creators wait for
    each other here, so two never draw the same reference.
    """
    serialize(f"reference:{prefix}")
    highest = (
        model.objects.filter(reference__regex=rf"^{re.escape(prefix)}-[0-9]+$")
        .annotate(number=Cast(Substr("reference", len(prefix) + 2), BigIntegerField()))
        .aggregate(highest=Max("number"))["highest"]
    )
    return f"{prefix}-{(highest or 0) + 1:04d}"


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
        group_type=group_type or derive_group_type(members),
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
    if not group.group_type:
        if members is not None:
            group.group_type = derive_group_type(members)
        else:
            group.group_type = derive_group_type(list(group.members.all()))
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


def _keep_first_acknowledgements(record: WelcomeGroup | Household, fields: dict[str, Any]) -> None:
    """Consent and the non-discrimination principles keep the moment they were first given."""
    for name in ("consent_at", "non_discrimination_at"):
        if getattr(record, name) is not None and fields[name] is not None:
            fields[name] = getattr(record, name)


#: The rows a questionnaire cannot be saved without, and the message when there are none.
_ROWS_REQUIRED = {"members": ERR_MEMBERS_REQUIRED, "persons": ERR_PERSONS_REQUIRED}


def _fields_to_save(
    *,
    questionnaire: q.Questionnaire,
    answers: Mapping[str, Any],
    programme: Programme,
    record: WelcomeGroup | Household | None,
    external_uuid: str,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A questionnaire's answers as model fields (located) and as the fields of its rows."""
    fields, repeats = q.fields_from_answers(questionnaire, answers, now=timezone.now())
    [(section, rows)] = repeats.items()
    if not rows:
        raise ValidationError({section: _ROWS_REQUIRED[section]})
    _location_fields(fields, country=programme.country)
    if external_uuid:
        fields["external_uuid"] = external_uuid
    if record is not None:
        _keep_first_acknowledgements(record, fields)
    return fields, rows


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
    fields, rows = _fields_to_save(
        questionnaire=q.GROUP_QUESTIONNAIRE,
        answers=answers,
        programme=programme,
        record=group,
        external_uuid=external_uuid,
    )
    members = [MemberData(**row) for row in rows]
    if group is None:
        return group_create(
            programme=programme, city=city, members=members, actor=actor, completed=True, **fields
        )
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
    fields, rows = _fields_to_save(
        questionnaire=q.HOUSEHOLD_QUESTIONNAIRE,
        answers=answers,
        programme=programme,
        record=household,
        external_uuid=external_uuid,
    )
    persons = [PersonData(**row) for row in rows]
    if household is None:
        return household_create(
            programme=programme, city=city, persons=persons, actor=actor, completed=True, **fields
        )
    return household_update(
        household=household, actor=actor, persons=persons, completed=True, city=city, **fields
    )
