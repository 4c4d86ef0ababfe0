"""Overbooking benchmark: 500 people ask for the same 10 seats at the same moment, over HTTP.

    .venv/bin/python -m bench.overbook                       # SQLite instance/bench.db (seed it first)
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python -m bench.overbook
    .venv/bin/python -m bench.overbook --people 200 --capacity 5
    .venv/bin/python -m bench.overbook --shift --capacity 8  # 500 sign-ups for one campaign shift of 8

It starts gunicorn exactly as bench/load.py does (2 sync workers, PORTAL_ENV=development, the rate-limit
counters in Redis database 14), then:

1. creates, through the app's own services (as Mission staff `staff1@bench.example.org`), a course and one
   open training session of --capacity seats, on a weekday morning about a year ahead at an hour no seeded
   session uses (so that nobody's existing bookings clash with it);
2. picks --people distinct seeded people (not staff, reading the portal in English; everyone has the
   password `bench-password-2026`), and signs each one in over HTTP as a browser does (own cookie jar; GET
   /auth/login, POST the form with its CSRF token), then GETs the session's page for the CSRF token of the
   booking form. This takes a while: every sign-in checks an argon2id hash, on purpose;
3. fires all the booking POSTs (`POST /trainings/<id>/book`, one thread and one connection each) at the same
   moment, released together by a barrier, and times them;
4. reads each person's outcome from the message on the page the POST redirects to ("booked", "full", or
   another refusal), and counts in the database the bookings that hold a seat and the session's seat count.

It prints booked vs capacity, the refusals by reason, any errors (an answer other than the 303 redirect, or
no answer) and the times, and exits 1 unless exactly --capacity people are booked, the database agrees with
the answers and no request failed. The session and course it made are deleted at the end (with their
bookings and waiting list); the audit and outbox rows the bookings wrote stay, as they would in real use.
Only 127.0.0.1 is ever targeted.
"""
from __future__ import annotations

import argparse
import html
import random
import re
import signal
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import (  # noqa: E402
    CSRF_RE, HOST, Client, free_port, machine, percentile, start_gunicorn, stop_gunicorn, wait_healthy,
)
from bench.seed_large import BENCH_PASSWORD, STAFF_EMAIL, bench_config, database_url, refuse_protected  # noqa: E402

HK = timezone(timedelta(hours=8))
FLASH_RE = re.compile(r'<p class="flash ([a-z]+)">(.*?)</p>', re.S)
TITLE = "Overbooking benchmark"


# --- in the database, through the app ---

def make_session(url: str, capacity: int, people: int, seed: int) -> tuple[int, int, list[str]]:
    """(session id, course id, the people's phone numbers)"""
    from sqlalchemy import select

    from portal import create_app
    from portal.accounts.models import User
    from portal.extensions import db
    from portal.trainings import services

    app = create_app(bench_config(url))
    with app.app_context():
        staff = db.session.scalar(select(User).where(User.email == STAFF_EMAIL.format(n=1)))
        if staff is None:
            sys.exit("No bench staff account: run bench/seed_large.py first.")
        course = services.create_course(staff, "etoc", "en", {"en": (TITLE, "Made and deleted by bench/overbook.py.")})
        # A Tuesday about a year ahead, 07:00-09:00 in Hong Kong: seeded sessions start at 10, 13 or 15.
        day = datetime.now(HK).date() + timedelta(days=365)
        day += timedelta(days=(1 - day.weekday()) % 7)
        starts = datetime(day.year, day.month, day.day, 7, tzinfo=HK).astimezone(timezone.utc)
        ts = services.create_session(staff, course, starts, starts + timedelta(hours=2), capacity,
                                     deadline=starts - timedelta(days=1), venue="Mission office, Central")
        # People who read the portal in English, so that the refusals read alike in the table.
        phones = list(db.session.scalars(select(User.phone).where(
            User.role.is_(None), User.is_enabled.is_(True), User.phone.is_not(None), User.locale == "en")
            .order_by(User.id)))
        if len(phones) < people:
            sys.exit(f"The database has {len(phones)} people who can sign in; --people is {people}.")
        chosen = random.Random(seed).sample(phones, people)
        ids = ts.id, course.id
        db.session.remove()
        db.engine.dispose()
    return ids[0], ids[1], chosen


def make_shift(url: str, capacity: int, people: int, seed: int) -> tuple[int, int, list[str]]:
    """(shift id, campaign id, the people's phone numbers): a public campaign with one shift of `capacity`
    places, on a Tuesday about a year ahead at 07:00 in Hong Kong (seeded shifts start at 9, 11, 14 or 16)."""
    from sqlalchemy import select

    from portal import create_app
    from portal.accounts.models import User
    from portal.campaigns import services
    from portal.extensions import db

    app = create_app(bench_config(url))
    with app.app_context():
        staff = db.session.scalar(select(User).where(User.email == STAFF_EMAIL.format(n=1)))
        if staff is None:
            sys.exit("No bench staff account: run bench/seed_large.py first.")
        day = datetime.now(HK).date() + timedelta(days=365)
        day += timedelta(days=(1 - day.weekday()) % 7)
        starts = datetime(day.year, day.month, day.day, 7, tzinfo=HK).astimezone(timezone.utc)
        campaign = services.create_campaign(staff, {"en": (TITLE, "Made and deleted by bench/overbook.py.")},
                                            day, day, public=True)
        shift = services.create_shift(staff, campaign, activity="leafleting", role="leafleter", language="en",
                                      place="Chater Road, Central", starts_at=starts,
                                      ends_at=starts + timedelta(hours=2), capacity=capacity)
        phones = list(db.session.scalars(select(User.phone).where(
            User.role.is_(None), User.is_enabled.is_(True), User.phone.is_not(None), User.locale == "en")
            .order_by(User.id)))
        if len(phones) < people:
            sys.exit(f"The database has {len(phones)} people who can sign in; --people is {people}.")
        chosen = random.Random(seed).sample(phones, people)
        ids = shift.id, campaign.id
        db.session.remove()
        db.engine.dispose()
    return ids[0], ids[1], chosen


def _places(kind: str):
    """The capacity engine's description of what is booked (portal/capacity.Places), and the model that owns
    the row (deleted with it, its texts too)."""
    if kind == "shift":
        from portal.campaigns.models import Campaign
        from portal.campaigns.services.places import SHIFT_PLACES
        return SHIFT_PLACES, Campaign, "campaign_id"
    from portal.trainings.models import Course
    from portal.trainings.services.places import SEATS
    return SEATS, Course, "course_id"


def count_in_database(url: str, row_id: int, kind: str = "session") -> dict[str, int]:
    """What the database holds of the row afterwards: its capacity and count, places held, people waiting."""
    from sqlalchemy import func, select

    from portal import create_app
    from portal.capacity import HOLDS_PLACE
    from portal.extensions import db

    app = create_app(bench_config(url))
    with app.app_context():
        places, _owner, _column = _places(kind)
        row = db.session.get(places.row, row_id)
        out = {"capacity": row.capacity, "taken": row.taken,
               "holding a seat": db.session.scalar(select(func.count()).select_from(places.holder).where(
                   getattr(places.holder, places.parent) == row_id, places.holder.state.in_(HOLDS_PLACE))),
               "waiting list": db.session.scalar(select(func.count()).select_from(places.entry).where(
                   getattr(places.entry, places.parent) == row_id))}
        db.session.remove()
        db.engine.dispose()
    return out


def delete_row(url: str, row_id: int, kind: str = "session") -> None:
    """The row, its places and waiting list, and what owns it (the course or campaign made for the run)."""
    from sqlalchemy import delete

    from portal import create_app
    from portal.extensions import db

    app = create_app(bench_config(url))
    with app.app_context():
        places, owner, column = _places(kind)
        owner_id = getattr(db.session.get(places.row, row_id), column)
        for model, parent in ((places.entry, getattr(places.entry, places.parent)),
                              (places.holder, getattr(places.holder, places.parent)), (places.row, places.row.id)):
            db.session.execute(delete(model).where(parent == row_id))
        db.session.delete(db.session.get(owner, owner_id))  # with its texts
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


# --- over HTTP ---

# What is booked: a training's session (the default) or, with --shift, a campaign shift (issue 14).
PATHS = {"session": ("/trainings/{id}", "/trainings/{id}/book"),
         "shift": ("/campaigns/shifts/{id}", "/campaigns/shifts/{id}/sign-up")}
MODE = "session"


def _page(row_id: int) -> str:
    return PATHS[MODE][0].format(id=row_id)


def _form(client: Client, path: str) -> str:
    status, headers, data = client.request("GET", path)
    match = CSRF_RE.search(client.text(headers, data)) if status == 200 else None
    if not match:
        raise RuntimeError(f"GET {path} answered {status} without a csrf_token")
    return match.group(1) or match.group(2)


def prepare(port: int, phones: list[str], session_id: int, threads: int) -> tuple[list[tuple[Client, str]], list[str]]:
    """Sign everyone in and fetch the booking form's token, `threads` people at a time."""
    ready: list[tuple[Client, str]] = []
    failures: list[str] = []
    todo = list(enumerate(phones))
    lock = threading.Lock()

    def work():
        while True:
            with lock:
                if not todo:
                    return
                number, phone = todo.pop()
            client = Client(port, number)
            try:
                client.sign_in(phone, BENCH_PASSWORD)
                token = _form(client, _page(session_id))
            except Exception as e:  # reported, and that person does not take part
                with lock:
                    failures.append(f"{phone}: {e}")
                continue
            with lock:
                ready.append((client, token))

    workers = [threading.Thread(target=work, daemon=True) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return ready, failures


def storm(people: list[tuple[Client, str]], session_id: int) -> tuple[list[tuple[Client, int, float]], float]:
    """Every booking POST at once. Returns (client, status, seconds) per person (status 0: no answer) and the
    time from the release to the last answer."""
    barrier = threading.Barrier(len(people) + 1)
    results: list[tuple[Client, int, float]] = []
    lock = threading.Lock()
    path = PATHS[MODE][1].format(id=session_id)

    def fire(client: Client, token: str):
        body = urllib.parse.urlencode({"csrf_token": token}).encode()
        barrier.wait()
        t0 = time.perf_counter()
        try:
            status, _, _ = client.request("POST", path, body=body, content_type="application/x-www-form-urlencoded",
                                          tag="overbook")
        except OSError:
            status = 0
        with lock:
            results.append((client, status, time.perf_counter() - t0))

    threads = [threading.Thread(target=fire, args=pair, daemon=True) for pair in people]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join(timeout=300)
    return results, time.perf_counter() - started


def outcome(client: Client, session_id: int) -> str:
    """What the page said after the POST's redirect: the flash message, classified."""
    status, headers, data = client.request("GET", _page(session_id))
    if status != 200:
        return f"page answered {status}"
    messages = [(kind, html.unescape(re.sub(r"<[^>]+>", "", text)).strip())
                for kind, text in FLASH_RE.findall(client.text(headers, data))]
    if not messages:
        return "no message"
    kind, text = messages[0]
    return "booked" if kind == "success" else f"refused: {text}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: $DATABASE_URL, else sqlite instance/bench.db")
    parser.add_argument("--people", type=int, default=500, help="distinct people booking at once")
    parser.add_argument("--capacity", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--sign-in-threads", type=int, default=8, help="people signed in at a time beforehand")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--seed", type=int, default=1, help="which people are picked")
    parser.add_argument("--keep", action="store_true", help="keep the session and course it made")
    parser.add_argument("--shift", action="store_true",
                        help="sign up for one campaign shift instead of booking a training session")
    args = parser.parse_args(argv)
    global MODE
    MODE = "shift" if args.shift else "session"
    make = make_shift if args.shift else make_session
    if not 1 <= args.capacity <= args.people <= 2000:
        parser.error("keep 1 <= --capacity <= --people <= 2000")

    url = database_url(args.database_url)
    refuse_protected(url)
    from sqlalchemy.engine import make_url
    print(f"# Overbooking benchmark on {make_url(url).render_as_string(hide_password=True)}\n\n{machine()}.\n"
          f"gunicorn -w {args.workers} (sync workers); {args.people} people, {args.capacity} "
          f"{'places in one campaign shift' if args.shift else 'seats'}.\n", flush=True)

    session_id, _owner_id, phones = make(url, args.capacity, args.people, args.seed)
    logdir = Path(tempfile.mkdtemp(prefix="portal-overbook-"))
    port = free_port(args.port)
    proc = start_gunicorn(url, port, args.workers, logdir)

    def _terminated(signum, frame):
        raise KeyboardInterrupt
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        wait_healthy(proc, port, logdir)
        t0 = time.perf_counter()
        people, failures = prepare(port, phones, session_id, args.sign_in_threads)
        print(f"Signed in {len(people)} of {len(phones)} people and fetched their booking forms in "
              f"{time.perf_counter() - t0:.1f} s.", flush=True)
        for failure in failures[:10]:
            print(f"  ! {failure}")
        results, elapsed = storm(people, session_id)
        outcomes = Counter(outcome(client, session_id) if status == 303 else
                           ("error: no answer" if status == 0 else f"error: answered {status}")
                           for client, status, _ in results)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    finally:
        stop_gunicorn(proc)
        signal.signal(signal.SIGTERM, previous)

    db = count_in_database(url, session_id, MODE)
    if not args.keep:
        delete_row(url, session_id, MODE)
    times = sorted(s for _, status, s in results if status)
    booked = outcomes.get("booked", 0)
    errors = {k: n for k, n in outcomes.items() if k.startswith("error") or k in ("no message",)
              or k.startswith("page answered")}
    print(f"\n{len(results)} booking POSTs released together at {HOST}:{port}, one session of {args.capacity} seats:\n")
    print("| outcome | people |\n|---|---:|")
    for key, n in sorted(outcomes.items(), key=lambda kv: (kv[0] != "booked", -kv[1])):
        print(f"| {key} | {n} |")
    print(f"\nBooked {booked} / capacity {args.capacity}. In the database: {db['holding a seat']} bookings hold a seat, "
          f"the session counts {db['taken']} seats taken of {db['capacity']}, {db['waiting list']} on its waiting list.")
    if times:
        print(f"All {len(results)} answered within {elapsed:.2f} s of the release; per request "
              f"p50 {percentile(times, 0.5) * 1000:.0f} ms, p95 {percentile(times, 0.95) * 1000:.0f} ms, "
              f"max {max(times) * 1000:.0f} ms (the requests queue for {args.workers} workers, each serving one at a time).")
    problems = []
    if booked != args.capacity:
        problems.append(f"booked {booked} != capacity {args.capacity}")
    if not db["holding a seat"] == db["taken"] == booked:
        problems.append(f"the database disagrees: {db['holding a seat']} bookings, {db['taken']} seats taken, "
                        f"{booked} people told they are booked")
    if errors:
        problems.append(f"{sum(errors.values())} requests failed: {errors}")
    if failures:
        problems.append(f"{len(failures)} people could not sign in or open the session")
    print("\n" + ("FAILED: " + "; ".join(problems) if problems else "OK: never more booked than seats."))
    print(f"(gunicorn's logs: {logdir})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
