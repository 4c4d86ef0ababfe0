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


def test_a_month_costs_segments_by_sms_and_messages_by_whatsapp_and_codes_stay_sms(app):
    """bench/message_costs.py's sums: an SMS is paid per segment, a WhatsApp message per message, and the
    codes (which never go by WhatsApp) are SMS whichever she chose."""
    from bench.message_costs import LANGUAGE_MIX, MONTHLY, costs
    table = {(k, lg): 2 for k in MONTHLY for lg in LANGUAGE_MIX}
    c = costs(table, sms_price=0.1, whatsapp_price=0.01, workers=10, whatsapp_share=0.5)
    total = sum(MONTHLY.values())
    codes = MONTHLY["reset_code"] + MONTHLY["phone_code"] + MONTHLY["phone_changed"]
    assert c["all_sms"] == pytest.approx(total * 2 * 0.1 * 10)
    assert c["all_whatsapp"] == pytest.approx((total - codes) * 0.01 * 10 + codes * 2 * 0.1 * 10)
    assert c["mixed"] == pytest.approx((c["all_sms"] + c["all_whatsapp"]) / 2)
