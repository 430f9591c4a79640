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
from welcomematch.i18n import message
from welcomematch.intake import questions as q
from welcomematch.intake.changes import answer_changes
from welcomematch.intake.models import GroupMember, Household, Person, RecordChange, WelcomeGroup
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
    #: The saved row this is (an edit keeps a row's identity, and so its survey links).
    id: int | None = None


@dataclass(frozen=True)
class PersonData:
    relation: str
    age: int
    gender: str = "unknown"
    #: The saved row this is (an edit keeps a row's identity, and so its survey links).
    id: int | None = None


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


ERR_STALE = _(
    "%(reference)s was changed by someone else since you opened this form (%(when)s). Your "
    "changes were not saved: reload the page to see the record as it is now, then make them "
    "again."
)


def _save_rows(rows: Sequence[Any], *, prefix: str) -> None:
    for index, row in enumerate(rows):
        try:
            row.full_clean()
        except ValidationError as error:
            raise ValidationError(
                {f"{prefix}.{index}.{field}": msgs for field, msgs in error.message_dict.items()}
            ) from None
        row.save()


def _sync_rows(
    existing: Sequence[GroupMember] | Sequence[Person],
    rows: Sequence[MemberData] | Sequence[PersonData],
    *,
    make: Any,
    prefix: str,
) -> None:
    """Make the saved rows what ``rows`` says: a row with the ``id`` of one of ``existing`` is
    that row, changed in place (so survey links to a member or person survive an edit); rows
    without an id are new; saved rows no longer named are removed. Callers that know no ids
    (an import, a link's answers of old) keep the saved rows by position. An ``id`` of another
    record's row is not trusted: that row is added as new."""
    by_id = {row.pk: row for row in existing}
    ids: list[int | None] = [row.id for row in rows]
    if not any(ids):
        positions = [row.pk for row in existing][: len(rows)]
        ids = [*positions, *([None] * (len(rows) - len(positions)))]
    kept: set[int] = set()
    objects = []
    for data, row_id in zip(rows, ids, strict=True):
        values = {name: value for name, value in data.__dict__.items() if name != "id"}
        if row_id is not None and row_id in by_id and row_id not in kept:
            row = by_id[row_id]
            for name, value in values.items():
                setattr(row, name, value)
            kept.add(row_id)
        else:
            row = make(**values)
        objects.append(row)
    for row in existing:
        if row.pk not in kept:
            row.delete()
    _save_rows(objects, prefix=prefix)


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


def _lock_current(
    record: WelcomeGroup | Household, expected_updated_at: datetime | None
) -> WelcomeGroup | Household:
    """The record as saved, locked until the transaction ends; refused when it changed since
    ``expected_updated_at`` (the moment the editor's form was opened), so a second save of a
    stale form does not silently overwrite the first."""
    current = type(record).objects.select_for_update().get(pk=record.pk)
    if expected_updated_at is not None and current.updated_at != expected_updated_at:
        raise ValidationError(
            message(
                ERR_STALE,
                reference=current.reference,
                when=timezone.localtime(current.updated_at).strftime("%d-%m-%Y %H:%M"),
            ),
            code="stale",
        )
    return current


def _group_answers(group: WelcomeGroup) -> dict[str, Any]:
    return q.answers_from_record(
        q.GROUP_QUESTIONNAIRE, group, {"members": list(group.members.order_by("id"))}
    )


def _household_answers(household: Household) -> dict[str, Any]:
    return q.answers_from_record(
        q.HOUSEHOLD_QUESTIONNAIRE, household, {"persons": list(household.persons.order_by("id"))}
    )


def _record_change(
    *,
    record: WelcomeGroup | Household,
    action: str,
    actor: User | None,
    changes: Sequence[Mapping[str, Any]] = (),
    reason: str = "",
) -> RecordChange:
    """Keep one entry of a record's history (values here, not in the audit trail)."""
    entry = RecordChange(
        group=record if isinstance(record, WelcomeGroup) else None,
        household=record if isinstance(record, Household) else None,
        action=action,
        changes=[dict(change) for change in changes],
        reason=reason,
        actor=actor if actor is not None and actor.pk else None,
    )
    _check(entry)
    entry.save()
    return entry


def _what_changed(changes: Sequence[Mapping[str, Any]]) -> list[str]:
    """The names of what changed, for the audit trail (no values)."""
    names = []
    for change in changes:
        name = change.get("question") or change.get("derived") or ""
        section = change.get("section")
        if "added" in change or "removed" in change:
            name = f"{section}.{'added' if 'added' in change else 'removed'}"
        elif section:
            name = f"{section}.{name}"
        names.append(name)
    return sorted(set(names))


@transaction.atomic
def group_update(
    *,
    group: WelcomeGroup,
    actor: User | None,
    members: Sequence[MemberData] | None = None,
    completed: bool | None = None,
    expected_updated_at: datetime | None = None,
    **fields: Any,
) -> WelcomeGroup:
    """Change a group's answers (and members); the location, the capacity level and (when not
    answered) the group type are derived again. The change is kept in the group's history and
    audited; with ``expected_updated_at``, refused when someone else saved in between."""
    current = _lock_current(group, expected_updated_at)
    assert isinstance(current, WelcomeGroup)
    before = _group_answers(current)
    capacity_before = current.capacity
    group.updated_at = current.updated_at
    follows_members = (
        members is not None
        and fields.get("group_type", current.group_type) == current.group_type
        and current.group_type == derive_group_type(list(current.members.all()))
    )
    _assign(group, fields, allowed=_GROUP_UPDATABLE, service="group_update")
    if follows_members:
        # A type that was the one derived from the members (and is not changed now) follows
        # the members: adding a member with children makes a group "with children".
        group.group_type = ""
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
        _sync_rows(
            list(group.members.order_by("id")),
            members,
            make=lambda **values: GroupMember(group=group, **values),
            prefix="members",
        )
    changes = answer_changes(
        q.GROUP_QUESTIONNAIRE,
        before,
        _group_answers(group),
        derived={"capacity": (capacity_before, group.capacity)},
    )
    data: dict[str, Any] = {"fields": sorted(fields), "changed": _what_changed(changes)}
    if changes:
        data["change"] = _record_change(
            record=group, action=RecordChange.Action.EDITED, actor=actor, changes=changes
        ).pk
    audit_record(actor=actor, action="group.updated", obj=group, data=data)
    return group


@transaction.atomic
def household_update(
    *,
    household: Household,
    actor: User | None,
    persons: Sequence[PersonData] | None = None,
    completed: bool | None = None,
    expected_updated_at: datetime | None = None,
    **fields: Any,
) -> Household:
    """Change a household's answers (and persons); the location, its type and vulnerability
    level are derived again. The change is kept in the household's history and audited; with
    ``expected_updated_at``, refused when someone else saved in between."""
    current = _lock_current(household, expected_updated_at)
    assert isinstance(current, Household)
    before = _household_answers(current)
    derived_before = (current.vulnerability, current.household_type)
    household.updated_at = current.updated_at
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
        _sync_rows(
            list(household.persons.order_by("id")),
            persons,
            make=lambda **values: Person(household=household, **values),
            prefix="persons",
        )
    changes = answer_changes(
        q.HOUSEHOLD_QUESTIONNAIRE,
        before,
        _household_answers(household),
        derived={
            "household_type": (derived_before[1], household.household_type),
            "vulnerability": (derived_before[0], household.vulnerability),
        },
    )
    data: dict[str, Any] = {"fields": sorted(fields), "changed": _what_changed(changes)}
    if changes:
        data["change"] = _record_change(
            record=household, action=RecordChange.Action.EDITED, actor=actor, changes=changes
        ).pk
    audit_record(actor=actor, action="household.updated", obj=household, data=data)
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
    """A questionnaire's answers as model fields (located) and as the fields of its rows
    (each with the ``id`` of the saved row it is, when the answers name one)."""
    fields, repeats = q.fields_from_answers(questionnaire, answers, now=timezone.now())
    [(section, rows)] = repeats.items()
    if not rows:
        raise ValidationError({section: _ROWS_REQUIRED[section]})
    for row, answered in zip(rows, answers.get(section) or [], strict=True):
        row_id: Any = answered.get("id") if isinstance(answered, Mapping) else None
        row["id"] = int(row_id) if record is not None and row_id not in (None, "") else None
    _location_fields(fields, country=programme.country)
    if external_uuid:
        fields["external_uuid"] = external_uuid
    if record is not None:
        _keep_first_acknowledgements(record, fields)
    return fields, rows


def _save_answers(
    *,
    questionnaire: q.Questionnaire,
    programme: Programme,
    city: City,
    answers: Mapping[str, Any],
    actor: User | None,
    record: WelcomeGroup | Household | None,
    external_uuid: str,
    expected_updated_at: datetime | None,
) -> WelcomeGroup | Household:
    """The one way a completed questionnaire becomes a record: create it, or update it (the
    edit form, a group's link, a re-import) through :func:`group_update` or
    :func:`household_update`, which derive the location, levels and types again."""
    fields, rows = _fields_to_save(
        questionnaire=questionnaire,
        answers=answers,
        programme=programme,
        record=record,
        external_uuid=external_uuid,
    )
    if questionnaire is q.GROUP_QUESTIONNAIRE:
        members = [MemberData(**row) for row in rows]
        if record is None:
            return group_create(
                programme=programme,
                city=city,
                members=members,
                actor=actor,
                completed=True,
                **fields,
            )
        assert isinstance(record, WelcomeGroup)
        return group_update(
            group=record,
            actor=actor,
            members=members,
            completed=True,
            city=city,
            expected_updated_at=expected_updated_at,
            **fields,
        )
    persons = [PersonData(**row) for row in rows]
    if record is None:
        return household_create(
            programme=programme, city=city, persons=persons, actor=actor, completed=True, **fields
        )
    assert isinstance(record, Household)
    return household_update(
        household=record,
        actor=actor,
        persons=persons,
        completed=True,
        city=city,
        expected_updated_at=expected_updated_at,
        **fields,
    )


@transaction.atomic
def group_save_answers(
    *,
    programme: Programme,
    city: City,
    answers: Mapping[str, Any],
    actor: User | None,
    group: WelcomeGroup | None = None,
    external_uuid: str = "",
    expected_updated_at: datetime | None = None,
) -> WelcomeGroup:
    """Create or update a group from a completed group questionnaire (web, invitation, import,
    the coordinator's edit form)."""
    saved = _save_answers(
        questionnaire=q.GROUP_QUESTIONNAIRE,
        programme=programme,
        city=city,
        answers=answers,
        actor=actor,
        record=group,
        external_uuid=external_uuid,
        expected_updated_at=expected_updated_at,
    )
    assert isinstance(saved, WelcomeGroup)
    return saved


@transaction.atomic
def household_save_answers(
    *,
    programme: Programme,
    city: City,
    answers: Mapping[str, Any],
    actor: User | None,
    household: Household | None = None,
    external_uuid: str = "",
    expected_updated_at: datetime | None = None,
) -> Household:
    """Create or update a household from a completed interview (web form, import, the
    coordinator's edit form)."""
    saved = _save_answers(
        questionnaire=q.HOUSEHOLD_QUESTIONNAIRE,
        programme=programme,
        city=city,
        answers=answers,
        actor=actor,
        record=household,
        external_uuid=external_uuid,
        expected_updated_at=expected_updated_at,
    )
    assert isinstance(saved, Household)
    return saved
