"""Read-only queries for privacy: current consent, and everything held about one participant."""

from __future__ import annotations

import json
from typing import Any

from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model, Q

from welcomematch.accounts.models import AuditEvent
from welcomematch.intake.models import Household, WelcomeGroup
from welcomematch.lifecycle.models import CheckIn, JointGoal, Match
from welcomematch.privacy.models import Consent, Erasure, Purpose

#: Version of the data-export format (a person's records as JSON).
EXPORT_FORMAT = "welcomematch-person-export/1"


def _subject(subject: Household | WelcomeGroup) -> dict[str, Any]:
    return {"household": subject} if isinstance(subject, Household) else {"group": subject}


def consent_current(*, subject: Household | WelcomeGroup, purpose: str) -> Consent | None:
    """The latest decision of ``subject`` for ``purpose`` (None: never asked)."""
    return (
        Consent.objects.filter(**_subject(subject), purpose=purpose)
        .order_by("-decided_at", "-id")
        .first()
    )


def consent_given(*, subject: Household | WelcomeGroup, purpose: str) -> bool:
    decision = consent_current(subject=subject, purpose=purpose)
    return decision is not None and decision.given


def consent_overview(*, subject: Household | WelcomeGroup) -> list[tuple[str, Consent | None]]:
    """For every purpose, its label and the decision that holds."""
    return [
        (str(label), consent_current(subject=subject, purpose=value))
        for value, label in Purpose.choices
    ]


def erasure_of(*, subject: Model) -> Erasure | None:
    return Erasure.objects.filter(
        object_type=subject._meta.label_lower, object_id=str(subject.pk)
    ).first()


def _rows(objects: Any) -> list[dict[str, Any]]:
    return [
        {"model": row["model"], "id": row["pk"], **row["fields"]}
        for row in serializers.serialize("python", list(objects))
    ]


def person_export(*, subject: Household | WelcomeGroup) -> str:
    """Everything the programme holds about one household or group, as JSON (art. 15, 20)."""
    side = "household" if isinstance(subject, Household) else "group"
    matches = Match.objects.filter(**{side: subject}).order_by("proposed_at", "pk")
    people = subject.persons.all() if isinstance(subject, Household) else subject.members.all()
    match_types = {"lifecycle.match": [str(m.pk) for m in matches]}
    events = AuditEvent.objects.filter(
        Q(object_type=subject._meta.label_lower, object_id=str(subject.pk))
        | Q(object_type="lifecycle.match", object_id__in=match_types["lifecycle.match"])
    ).order_by("created_at", "id")
    document = {
        "format": EXPORT_FORMAT,
        "subject": {"type": side, "reference": subject.reference},
        "record": _rows([subject])[0],
        "people": _rows(people),
        "consents": _rows(Consent.objects.filter(**_subject(subject)).order_by("decided_at")),
        "matches": _rows(matches),
        "check_ins": _rows(CheckIn.objects.filter(match__in=matches).order_by("held_on", "id")),
        "joint_goals": _rows(JointGoal.objects.filter(match__in=matches).order_by("id")),
        "events": [
            {
                "when": e.created_at,
                "what": e.action,
                "record_type": e.object_type,
                "record_id": e.object_id,
                "details": e.data,
            }
            for e in events
        ],
    }
    return json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


def privacy_panel(*, user: Any, subject: Household | WelcomeGroup) -> dict[str, Any]:
    """What the privacy section of a record page shows a manager."""
    from django.urls import reverse

    from welcomematch.accounts.models import Role
    from welcomematch.accounts.permissions import has_role
    from welcomematch.privacy.forms import ConsentForm

    kind = "household" if isinstance(subject, Household) else "group"
    return {
        "consents": consent_overview(subject=subject),
        "consent_form": ConsentForm(prefix=None),
        "consent_url": reverse(f"privacy:{kind}_consent", args=[subject.pk]),
        "export_url": reverse(f"privacy:{kind}_export", args=[subject.pk]),
        "erase_url": reverse(f"privacy:{kind}_erase", args=[subject.pk]),
        "may_erase": has_role(user, frozenset({Role.ADMINISTRATOR})),
    }
