"""Writers for programme settings."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from welcomematch.accounts.models import User
from welcomematch.accounts.services import audit_record
from welcomematch.programmes.models import Programme

#: The programme's targets for waiting times and warnings, as (field, smallest value).
TARGET_FIELDS = (
    ("target_days", 1),
    ("first_meeting_days", 1),
    ("checkin_gap_days", 1),
    ("low_rating", 1),
)
ERR_TARGET = _("%(field)s must be a whole number of at least %(minimum)s.")


@transaction.atomic
def programme_set_targets(
    *,
    programme: Programme,
    target_days: int,
    first_meeting_days: int,
    checkin_gap_days: int,
    low_rating: int,
    actor: User | None,
) -> Programme:
    """Change the targets behind waiting times and warnings; audited with before and after."""
    row = Programme.objects.select_for_update().get(pk=programme.pk)
    new = {
        "target_days": target_days,
        "first_meeting_days": first_meeting_days,
        "checkin_gap_days": checkin_gap_days,
        "low_rating": low_rating,
    }
    errors = {}
    for field, minimum in TARGET_FIELDS:
        if new[field] < minimum:
            errors[field] = str(ERR_TARGET % {"field": field, "minimum": minimum})
    if errors:
        raise ValidationError(errors)
    changed = {
        field: {"from": getattr(row, field), "to": value}
        for field, value in new.items()
        if getattr(row, field) != value
    }
    for field, value in new.items():
        setattr(row, field, value)
    row.full_clean()
    row.save()
    audit_record(actor=actor, action="programme.targets", obj=row, data={"changed": changed})
    return row
