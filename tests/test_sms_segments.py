"""What an SMS costs (issue 15): every kind of message in every language fits in two segments, and in the
Latin-script languages stays in the GSM-7 alphabet (one curly quote in a translation would make the whole
text UCS-2: 70 characters a segment instead of 160)."""
import pytest

from bench.sms_segments import rendered
from portal.notifications.segments import GSM7, MAX_SEGMENTS, UCS2, segments

LATIN_SCRIPT = {"en", "fil", "id"}


@pytest.mark.parametrize("text, expected", [
    ("a" * 160, (GSM7, 1)), ("a" * 161, (GSM7, 2)), ("a" * 306, (GSM7, 2)), ("a" * 307, (GSM7, 3)),
    ("[" * 80, (GSM7, 1)), ("[" * 81, (GSM7, 2)),  # two septets each
    ("Mañana à 10:00", (GSM7, 1)),
    ("a" * 69 + "’", (UCS2, 1)), ("a" * 70 + "’", (UCS2, 2)), ("a" * 134, (GSM7, 1)),
    ("ก" * 70, (UCS2, 1)), ("ก" * 71, (UCS2, 2)), ("ก" * 134, (UCS2, 2)), ("ก" * 135, (UCS2, 3)),
    ("🙂" * 35, (UCS2, 1)), ("🙂" * 36, (UCS2, 2)),  # two UTF-16 units each
])
def test_segments_count_as_a_gateway_charges(text, expected):
    assert segments(text) == expected


def test_every_kind_in_every_language_fits_in_two_segments(app):
    texts = rendered(app)
    assert len(texts) == len({(k, lang) for k, lang, _ in texts}) >= 27 * 3
    over = [(kind, lang, segments(text)) for kind, lang, text in texts if segments(text)[1] > MAX_SEGMENTS]
    assert not over, over
    wide = [(kind, lang, text) for kind, lang, text in texts if lang in LATIN_SCRIPT and segments(text)[0] != GSM7]
    assert not wide, wide
