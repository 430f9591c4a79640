"""Writers for intake, one module a concern; every public name is importable from here.

- :mod:`.geocoding`: postcodes and locations;
- :mod:`.rules`: derived vulnerability and capacity levels, overrides, the programme's rules;
- :mod:`.records`: groups and households, updates, a questionnaire's answers saved;
- :mod:`.invitations`: links with which a group fills in its own intake.
"""

from __future__ import annotations

from welcomematch.intake.services.geocoding import (
    BUNDLED_DEMO_POSTCODES,
    ERR_GEONAMES_ROW,
    ERR_NO_LOCATION,
    ERR_POSTCODE_FORMAT,
    ERR_POSTCODE_TABLE_EMPTY,
    ERR_POSTCODE_UNKNOWN,
    geocode_postcode,
    normalise_postcode,
    postcodes_load,
    postcodes_load_bundled_demo,
    postcodes_load_file,
    resolve_location,
)
from welcomematch.intake.services.invitations import (
    ERR_ANSWERS_MISSING,
    ERR_INVITATION_CLOSED,
    ERR_INVITATION_DAYS,
    INVITATION_DAYS,
    group_invite,
    invitation_create,
    invitation_revoke,
    invitation_save_progress,
    invitation_submit,
    invitation_token_hash,
)
from welcomematch.intake.services.records import (
    ERR_MEMBERS_REQUIRED,
    ERR_PERSONS_REQUIRED,
    MemberData,
    PersonData,
    group_create,
    group_fields_from_answers,
    group_save_answers,
    group_update,
    household_create,
    household_fields_from_answers,
    household_save_answers,
    household_update,
    next_reference,
)
from welcomematch.intake.services.rules import (
    ERR_NO_ADULT,
    ERR_OVERRIDE_REASON,
    ERR_RULE_INVALID,
    derive_capacity,
    derive_household_type,
    derive_vulnerability,
    group_override_capacity,
    household_override_vulnerability,
    programme_rules_update,
)

__all__ = [
    "BUNDLED_DEMO_POSTCODES",
    "ERR_ANSWERS_MISSING",
    "ERR_GEONAMES_ROW",
    "ERR_INVITATION_CLOSED",
    "ERR_INVITATION_DAYS",
    "ERR_MEMBERS_REQUIRED",
    "ERR_NO_ADULT",
    "ERR_NO_LOCATION",
    "ERR_OVERRIDE_REASON",
    "ERR_PERSONS_REQUIRED",
    "ERR_POSTCODE_FORMAT",
    "ERR_POSTCODE_TABLE_EMPTY",
    "ERR_POSTCODE_UNKNOWN",
    "ERR_RULE_INVALID",
    "INVITATION_DAYS",
    "MemberData",
    "PersonData",
    "derive_capacity",
    "derive_household_type",
    "derive_vulnerability",
    "geocode_postcode",
    "group_create",
    "group_fields_from_answers",
    "group_invite",
    "group_override_capacity",
    "group_save_answers",
    "group_update",
    "household_create",
    "household_fields_from_answers",
    "household_override_vulnerability",
    "household_save_answers",
    "household_update",
    "invitation_create",
    "invitation_revoke",
    "invitation_save_progress",
    "invitation_submit",
    "invitation_token_hash",
    "next_reference",
    "normalise_postcode",
    "postcodes_load",
    "postcodes_load_bundled_demo",
    "postcodes_load_file",
    "programme_rules_update",
    "resolve_location",
]
