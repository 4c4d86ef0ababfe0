"""Every kind of message, in every language, as an SMS: its encoding, characters and segments, rendered as
the outbox renders it (portal/notifications/services.queue_to) with long but real values: an organisation's
and a course's names as long as the demo's longest, a Hong Kong place, a day and time in her language.

    .venv/bin/python -m bench.sms_segments          # a Markdown table; exits 1 if any is over MAX_SEGMENTS

tests/test_sms_segments.py asserts the same bound on the same texts."""
from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal.clock import HK  # noqa: E402

WHEN = datetime(2026, 12, 6, 10, 0, tzinfo=HK)
UNTIL = datetime(2026, 12, 8, 10, 0, tzinfo=HK)


def samples() -> dict:
    """The values a message of each kind is written with: as long as real ones get."""
    from portal.web.templating import InLocale, moment
    from flask_babel import lazy_gettext as _l
    return dict(
        org="Samahan ng Kababaihan sa Central",  # 32 characters, the demo's longest
        course=_l("Know your employment contract"),
        when=moment(WHEN), until=moment(UNTIL),
        where="Chater Garden, Central (near the MTR exit K)",
        bring=InLocale(lambda: "water, an umbrella, your HKID"),
        code="483920", minutes=30, reason=_l("The details could not be checked"), number=12,
    )


def rendered(app) -> list[tuple[str, str, str]]:
    """(kind, language, the SMS's text) for every kind and language, rendered by the outbox."""
    from portal.extensions import db
    from portal.notifications.messages import MESSAGES
    from portal.notifications.services import queue_to
    out = []
    with app.test_request_context():
        params = samples()
        for kind, (_subject, body) in MESSAGES.items():
            wanted = {k: v for k, v in params.items() if f"%({k})s" in str(body)}
            for lang in app.config["LANGUAGES"]:
                msg = queue_to("sms", "+85251234567", lang, kind, **wanted)
                out.append((kind, lang, msg.body))
                db.session.expunge(msg)
    return out


def main() -> int:
    from portal import create_app
    from portal.config import TestConfig
    from portal.notifications.segments import MAX_SEGMENTS, segments
    app = create_app(TestConfig())
    rows, over = [], []
    with app.app_context():
        for kind, lang, text in rendered(app):
            encoding, n = segments(text)
            rows.append((kind, lang, encoding, len(text), n))
            if n > MAX_SEGMENTS:
                over.append((kind, lang, n))
    langs = list(app.config["LANGUAGES"])
    print("| kind | " + " | ".join(langs) + " |")
    print("|---|" + "---:|" * len(langs))
    by = {(k, lg): (enc, chars, n) for k, lg, enc, chars, n in rows}
    for kind in dict.fromkeys(k for k, *_ in rows):
        cells = [f"{by[kind, lg][2]} ({by[kind, lg][1]} ch, {by[kind, lg][0]})" for lg in langs]
        print(f"| {kind} | " + " | ".join(cells) + " |")
    total = {lg: sum(by[k, lg][2] for k in dict.fromkeys(k for k, *_ in rows)) for lg in langs}
    print("\nsegments, all kinds once: " + ", ".join(f"{lg} {n}" for lg, n in total.items()))
    if over:
        print(f"\nOver {MAX_SEGMENTS} segments: {over}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
