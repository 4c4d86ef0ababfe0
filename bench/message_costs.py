"""What a month of messages costs for N active workers, by SMS and by WhatsApp, at prices you give.

    .venv/bin/python -m bench.message_costs --sms-price 0.0577 --whatsapp-price 0.0273
    .venv/bin/python -m bench.message_costs --sms-price 0.0577 --whatsapp-price 0.0273 --workers 1000 --whatsapp-share 0.6

A gateway charges an SMS per segment and a WhatsApp template message per message delivered (utility
templates; codes never go by WhatsApp, so they stay SMS). The segments of each kind in each language are
counted on the texts the outbox writes (bench/sms_segments.py: long but real values), and weighted by the
workers' languages (LANGUAGE_MIX). How many messages of each kind an active worker gets in a month is the
model below (MONTHLY), stated so that it can be argued with and changed: an active worker books about one
training and one volunteer shift a month, each confirmed and reminded, with now and then a place offered,
a change, a cancellation, and a code. Prices change and differ by sender: look up your gateway's price for
Hong Kong numbers (+852) and pass it; the script keeps none of its own."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Messages of each kind an active worker gets in a month (the model; leaders' and caseworkers' messages
# are few beside these and left out).
MONTHLY = {
    "booking_confirmed": 1.0, "training_reminder": 1.0, "seat_offered": 0.2, "offer_expired": 0.05,
    "session_changed": 0.1, "session_cancelled": 0.05,
    "shift_confirmed": 1.0, "shift_reminder": 1.0, "shift_offered": 0.1, "shift_offer_expired": 0.03,
    "shift_changed": 0.1, "shift_cancelled": 0.03,
    "member_accepted": 0.05,
    "reset_code": 0.1, "phone_code": 0.05, "phone_changed": 0.01,
}
# The workers' languages: most of Hong Kong's domestic workers are Filipino or Indonesian.
LANGUAGE_MIX = {"fil": 0.55, "id": 0.43, "en": 0.02}


def segment_table(app) -> dict[tuple[str, str], int]:
    from bench.sms_segments import rendered
    from portal.notifications.segments import segments
    with app.app_context():
        return {(kind, lang): segments(text)[1] for kind, lang, text in rendered(app)}


def costs(table, sms_price: float, whatsapp_price: float, workers: int, whatsapp_share: float) -> dict:
    from portal.notifications.whatsapp import can_go
    messages = sum(MONTHLY.values()) * workers
    segs = {k: sum(LANGUAGE_MIX[lg] * table[k, lg] for lg in LANGUAGE_MIX) for k in MONTHLY}
    sms_segments = sum(n * segs[k] for k, n in MONTHLY.items()) * workers
    codes_segments = sum(n * segs[k] for k, n in MONTHLY.items() if not can_go(k)) * workers
    wa_messages = sum(n for k, n in MONTHLY.items() if can_go(k)) * workers
    all_sms = sms_segments * sms_price
    all_whatsapp = wa_messages * whatsapp_price + codes_segments * sms_price
    mixed = whatsapp_share * all_whatsapp + (1 - whatsapp_share) * all_sms
    return dict(messages=messages, segments=sms_segments, wa_messages=wa_messages, codes_segments=codes_segments,
                all_sms=all_sms, all_whatsapp=all_whatsapp, mixed=mixed, per_kind=segs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sms-price", type=float, required=True, help="USD per SMS segment to a +852 number")
    parser.add_argument("--whatsapp-price", type=float, required=True,
                        help="USD per WhatsApp utility template delivered to a +852 number")
    parser.add_argument("--workers", type=int, default=1000)
    parser.add_argument("--whatsapp-share", type=float, default=0.5,
                        help="the share of workers who chose WhatsApp (the rest SMS)")
    args = parser.parse_args()
    from portal import create_app
    from portal.config import TestConfig
    app = create_app(TestConfig())
    c = costs(segment_table(app), args.sms_price, args.whatsapp_price, args.workers, args.whatsapp_share)
    print(f"# A month of messages for {args.workers:,} active workers\n")
    print(f"Prices: SMS US${args.sms_price} a segment, WhatsApp US${args.whatsapp_price} a utility message.")
    print("Languages: " + ", ".join(f"{lg} {share:.0%}" for lg, share in LANGUAGE_MIX.items()) + ".\n")
    print("| kind | a month per worker | SMS segments (weighted) |")
    print("|---|---:|---:|")
    for kind, n in MONTHLY.items():
        print(f"| {kind} | {n:g} | {c['per_kind'][kind]:.2f} |")
    print(f"\n{c['messages']:,.0f} messages, {c['segments']:,.0f} SMS segments a month.\n")
    print("| everyone on | US$ a month | US$ a worker |")
    print("|---|---:|---:|")
    for label, total in (("SMS", c["all_sms"]), ("WhatsApp (codes by SMS)", c["all_whatsapp"]),
                         (f"{args.whatsapp_share:.0%} WhatsApp, the rest SMS", c["mixed"])):
        print(f"| {label} | {total:,.2f} | {total / args.workers:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
