"""How dates and times are written, in one place, per language: Filipinos write the month first ("Linggo,
Dis 6"), Indonesians and the English of Hong Kong the day first ("Minggu, 6 Des"). Pages and messages name a
pattern here ("day_time") instead of writing one; Babel fills in the month and day names of the language."""
from __future__ import annotations

PATTERNS: dict[str, dict[str, str]] = {
    "day": {"": "d MMM", "fil": "MMM d"},
    "weekday_day": {"": "EEEE d MMMM", "fil": "EEEE, MMMM d"},
    "day_year": {"": "EEE d MMM yyyy", "fil": "EEE, MMM d, yyyy"},
    "day_time": {"": "EEE d MMM, HH:mm", "fil": "EEE, MMM d, HH:mm"},
    "weekday_day_time": {"": "EEEE d MMMM, HH:mm", "fil": "EEEE, MMMM d, HH:mm"},
    "day_year_time": {"": "EEE d MMM yyyy, HH:mm", "fil": "EEE, MMM d, yyyy, HH:mm"},
    "time": {"": "HH:mm"},
}


def pattern(name: str | None, locale: str) -> str | None:
    """The pattern `name` stands for in `locale`; anything else (Babel's "medium", None) as it is."""
    patterns = PATTERNS.get(name) if name else None
    if patterns is None:
        return name
    return patterns.get(locale.split("_")[0], patterns[""])
