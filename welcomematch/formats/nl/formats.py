"""Dutch: "7 mrt 2026", "7 mrt 2026 14:05"; decimal comma (Django's Dutch number format)."""

DATE_FORMAT = "j b Y"
DATETIME_FORMAT = "j b Y H:i"
MONTH_DAY_FORMAT = "j b"
