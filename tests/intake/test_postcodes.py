"""Postcodes: GeoNames dump loading, normalising, geocoding, the bundled demo subset."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from welcomematch.i18n import message
from welcomematch.intake.models import Postcode
from welcomematch.intake.services import (
    BUNDLED_DEMO_POSTCODES,
    ERR_POSTCODE_TABLE_EMPTY,
    ERR_POSTCODE_UNKNOWN,
    geocode_postcode,
    normalise_postcode,
    postcodes_load,
    postcodes_load_bundled_demo,
)

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
NL_TXT = SHARED / "data" / "geonames" / "NL.txt"

pytestmark = pytest.mark.django_db


def test_bundled_demo_subset_holds_the_four_demo_municipalities() -> None:
    municipalities = {
        line.split("\t")[5] for line in BUNDLED_DEMO_POSTCODES.read_text("utf-8").splitlines()
    }
    assert municipalities == {
        "Gemeente Almere",
        "Gemeente Den Haag",
        "Gemeente Haarlem",
        "Rotterdam Municipality",
    }
    notice = BUNDLED_DEMO_POSTCODES.parent / "GEONAMES-NOTICE.txt"
    assert "Postal code data © GeoNames (www.geonames.org), CC BY 4.0" in notice.read_text("utf-8")


def test_loading_the_bundled_demo_subset_geocodes_almere() -> None:
    # 204 rows, 203 distinct codes (3198 is listed twice; the last row wins)
    assert postcodes_load_bundled_demo() == 203
    found = geocode_postcode("1315ab")
    assert found.code == "1315"
    assert found.municipality == "Gemeente Almere"
    assert 52.3 < found.latitude < 52.45


def test_bundled_subset_is_exactly_the_shared_rows() -> None:
    if not NL_TXT.exists():
        pytest.skip(f"needs the GeoNames NL.txt at {NL_TXT} (only in the development checkout)")
    wanted = {"Gemeente Almere", "Gemeente Den Haag", "Gemeente Haarlem", "Rotterdam Municipality"}
    rows = [
        line for line in NL_TXT.read_text("utf-8").splitlines() if line.split("\t")[5] in wanted
    ]
    assert rows == BUNDLED_DEMO_POSTCODES.read_text("utf-8").splitlines()


def test_full_dump_loads() -> None:
    if not NL_TXT.exists():
        pytest.skip(f"needs the GeoNames NL.txt at {NL_TXT} (only in the development checkout)")
    loaded = postcodes_load(lines=NL_TXT.open(encoding="utf-8"))
    assert loaded == Postcode.objects.count() > 3000


@pytest.mark.parametrize(
    ("raw", "expected"), [("1315ab", "1315 AB"), (" 1315 AB ", "1315 AB"), ("1315", "1315")]
)
def test_postcode_is_normalised(raw: str, expected: str) -> None:
    assert normalise_postcode(raw) == expected


def test_unknown_postcode_is_an_error_never_zero_zero() -> None:
    postcodes_load_bundled_demo()
    with pytest.raises(ValidationError) as caught:
        geocode_postcode("1011 AB")
    assert message(ERR_POSTCODE_UNKNOWN, code="1011 AB") in caught.value.messages


def test_empty_table_says_how_to_load_one() -> None:
    with pytest.raises(ValidationError) as caught:
        geocode_postcode("1315 AB")
    assert ERR_POSTCODE_TABLE_EMPTY in caught.value.messages
