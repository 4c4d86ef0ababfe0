"""What an SMS costs: its encoding and number of segments. A text in the GSM 03.38 alphabet (the `gsm0338`
codec: Latin letters, digits, some accents; [ ] { } ~ | ^ \\ and the euro take two septets) goes as GSM-7,
160 characters in one segment, 153 a segment when split; any other character (an emoji, Thai, Nepali, a
curly quote) makes the whole text UCS-2, 70 characters in one segment, 67 a segment when split. A gateway
charges per segment."""
from __future__ import annotations

import math

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

GSM7, UCS2 = "GSM-7", "UCS-2"
MAX_SEGMENTS = 2  # every kind of message, in every language, fits in two


def segments(text: str) -> tuple[str, int]:
    """(encoding, segments) of an SMS with this text."""
    try:
        septets = len(text.encode("gsm03.38"))
    except UnicodeEncodeError:
        units = len(text.encode("utf-16-le")) // 2
        return UCS2, 1 if units <= 70 else math.ceil(units / 67)
    return GSM7, 1 if septets <= 160 else math.ceil(septets / 153)
