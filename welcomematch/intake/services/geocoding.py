"""Postcodes and locations: normalising, geocoding, loading a GeoNames dump."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from welcomematch.i18n import message
from welcomematch.intake.models import Postcode

ERR_POSTCODE_FORMAT = _("'%(code)s' is not a Dutch postcode (use 1234 or 1234 AB).")
ERR_POSTCODE_UNKNOWN = _("Postcode %(code)s is not in the postcode table.")
ERR_POSTCODE_TABLE_EMPTY = _(
    "No postcode table is loaded. Load one with: welcomematch postcodes load NL.txt "
    "(a GeoNames postal-code dump), or enter coordinates directly."
)
ERR_NO_LOCATION = _("Give a postcode or both latitude and longitude.")
ERR_GEONAMES_COLUMNS = _("line %(line)s: expected 12 tab-separated columns, got %(count)s")
ERR_GEONAMES_NUMBERS = _("line %(line)s: latitude/longitude are not numbers: %(values)s")
ERR_GEONAMES_RANGE = _("line %(line)s: coordinates out of range")
ERR_GEONAMES_EMPTY = _("The file has no rows.")

_NL_POSTCODE = re.compile(r"^\s*(\d{4})\s*([A-Za-z]{2})?\s*$")


def normalise_postcode(code: str, *, country: str = "NL") -> str:
    """``1315ab`` → ``1315 AB``; ``1315`` stays ``1315``. Raises ValidationError if malformed."""
    if country != "NL":
        return code.strip().upper()
    match = _NL_POSTCODE.match(code)
    if not match:
        raise ValidationError(
            message(ERR_POSTCODE_FORMAT, code=code.strip()), code="postcode_format"
        )
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
    raise ValidationError(message(ERR_POSTCODE_UNKNOWN, code=normalised), code="postcode_unknown")


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
            raise ValidationError(message(ERR_GEONAMES_COLUMNS, line=number, count=len(fields)))
        try:
            lat, lon = float(fields[9]), float(fields[10])
        except ValueError:
            raise ValidationError(
                message(ERR_GEONAMES_NUMBERS, line=number, values=f"{fields[9]!r}, {fields[10]!r}")
            ) from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValidationError(message(ERR_GEONAMES_RANGE, line=number))
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
        raise ValidationError(ERR_GEONAMES_EMPTY)
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
BUNDLED_DEMO_POSTCODES = Path(__file__).resolve().parent.parent / "data" / "geonames-nl-demo.txt"


def postcodes_load_bundled_demo() -> int:
    """Load the postcode subset shipped in the package for the demo; returns rows loaded."""
    return postcodes_load_file(path=BUNDLED_DEMO_POSTCODES)


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
