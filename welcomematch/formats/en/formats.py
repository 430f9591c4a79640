"""English: "7 Mar 2026", "7 Mar 2026 14:05"; decimal point."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
MONTH_DAY_FORMAT = "j M"
