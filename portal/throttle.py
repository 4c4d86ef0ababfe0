"""Limits on tries: sign-in, reset codes, registration, join codes, organisation registration.

Counts are kept where every worker and every server sees the same count: in Redis when `REDIS_URL` is set,
else in the database (the `rate_counters` table below, through the "portal-db://" storage), never in one
process's memory, so `make run`'s two workers hold one limit between them. Flask-Limiter keeps the storage
and its fixed-window strategy; routes ask here explicitly, because what is counted is decided by what
happened (a sign-in that failed, a code that was wrong), not by the status code of the answer, and the key
is the identity the service normalised (one count per account however its address is written), hashed so
that no phone number or e-mail address is stored in the counters. A try is counted before it is made
(take()), so that tries sent at once cannot all pass; one that succeeded is given back where only failures
count. Each count is a short transaction of its own: call these before the request's service writes.
"""
from __future__ import annotations

import hashlib
import ipaddress
import time
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from limits import parse
from limits.storage import Storage
from sqlalchemy import Float, Integer, String, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db, limiter
from portal.web import DomainError


class TooManyTries(DomainError):
    message = _l("Too many tries. To protect your account, please wait a few minutes and try again.")
    status = 429


@dataclass(frozen=True)
class Limit:
    """A named limit; its rate ("5 per 15 minutes") is read from the setting `setting`."""
    scope: str
    setting: str

    def item(self):
        return parse(current_app.config[self.setting])


LOGIN_ACCOUNT = Limit("login-account", "LOGIN_LIMIT_ACCOUNT")        # failed sign-ins of one account, from
LOGIN_ADDRESS = Limit("login-address", "LOGIN_LIMIT_ADDRESS")        #   browsers it never signed in on
LOGIN_DEVICE = Limit("login-device", "LOGIN_LIMIT_DEVICE")           # failed sign-ins on her own phone
PASSWORD_CHANGE = Limit("password-change", "LOGIN_LIMIT_ACCOUNT")    # wrong current passwords
RESET_ADDRESS = Limit("reset-address", "RESET_LIMIT_ADDRESS")        # codes asked for from one address
RESET_TARGET = Limit("reset-target", "RESET_LIMIT_TARGET")           # codes sent to one number or e-mail
RESET_TARGET_DAY = Limit("reset-target-day", "RESET_LIMIT_TARGET_DAY")
CODE_ADDRESS = Limit("code-address", "CODE_LIMIT_ADDRESS")           # wrong reset codes from one address
REGISTER_ADDRESS = Limit("register-address", "REGISTER_LIMIT_ADDRESS")
PHONE_CODE_ADDRESS = Limit("phone-code-address", "PHONE_CODE_LIMIT_ADDRESS")  # numbers' codes from one address
PHONE_CODE_ACCOUNT = Limit("phone-code-account", "PHONE_CODE_LIMIT_ACCOUNT")  # numbers' codes one account asks
REGISTER_TARGET = Limit("register-target", "REGISTER_LIMIT_TARGET")  # tries with one number or e-mail
JOIN_ADDRESS = Limit("join-address", "JOIN_LIMIT_ADDRESS")           # wrong join codes
JOIN_ACCOUNT = Limit("join-account", "JOIN_LIMIT_ACCOUNT")
CASE_CODE_ADDRESS = Limit("case-code-address", "CASE_CODE_LIMIT_ADDRESS")  # wrong codes of referred workers
ORG_ADDRESS = Limit("org-address", "ORG_LIMIT_ADDRESS")              # organisations registered
# What the outbox sends through each gateway, all workers together: beyond it, messages wait for the next
# round (a gateway refuses or queues what comes faster than the sender may send).
GATEWAYS = {"sms": Limit("gateway-sms", "SMS_RATE_LIMIT"), "email": Limit("gateway-email", "MAIL_RATE_LIMIT"),
            "whatsapp": Limit("gateway-whatsapp", "WHATSAPP_RATE_LIMIT")}
ORG_ACCOUNT = Limit("org-account", "ORG_LIMIT_ACCOUNT")


def address() -> str:
    """The client's address; for IPv6 its /64, which one phone or one home can change at will."""
    raw = get_remote_address() or "-"
    try:
        ip = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else raw


def key(text: str) -> str:
    """A key for an identity (an E.164 number, a normalised e-mail, an account's id): hashed."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _between_transactions() -> None:
    """Counts are written on a connection of their own; the request's session gives its connection back
    first (it has only read so far: tries are taken before the service writes), so that a request never
    holds two of the pool's connections, nor waits, on SQLite, for a lock its own session holds."""
    if db.session.new or db.session.dirty or db.session.deleted:
        raise RuntimeError("tries are taken before the service changes anything")
    db.session.commit()


class Taken:
    """Tries taken by take(): kept when the try failed, given back when it succeeded (for limits that count
    failures only)."""

    def __init__(self, checks: list[tuple[Limit, str]]):
        self.checks = checks

    def give_back(self) -> None:
        if self.checks:
            _between_transactions()
        for limit, k in self.checks:
            limiter.limiter.hit(limit.item(), limit.scope, k, cost=-1)
        self.checks = []

    def used_up(self) -> list[Limit]:
        """The limits that have no try left now (asked after a failure: has it just locked something?)."""
        _between_transactions()
        return [limit for limit, k in self.checks if not limiter.limiter.test(limit.item(), limit.scope, k)]


def take(*checks: tuple[Limit, str]) -> Taken:
    """Count this try against each (limit, key) pair first, each with one atomic increment, and refuse it
    (TooManyTries) when any has none left; a refused try is given back. Counting before the try, not after
    it, is what makes a limit hold when many tries arrive at once: a check followed by a count let 14 of 16
    simultaneous wrong passwords through a limit of 5."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return Taken([])
    _between_transactions()
    taken = Taken([])
    for limit, k in checks:
        ok = limiter.limiter.hit(limit.item(), limit.scope, k)
        taken.checks.append((limit, k))
        if not ok:
            taken.give_back()
            raise TooManyTries()
    return taken


# --- the database as the shared store (when there is no Redis) ---

class RateCounter(db.Model):
    """A fixed window's count for one key of one limit (see `limits`' fixed-window strategy)."""
    __tablename__ = "rate_counters"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float)  # seconds since the epoch


class DatabaseStorage(Storage):
    """The `limits` storage "portal-db://": counts in the app's database, each change in a short transaction
    of its own (a count holds even when the request's own transaction is rolled back). One statement counts
    (an INSERT ... ON CONFLICT DO UPDATE), so two workers counting at once never lose a try. Expired rows are
    reused by the next count of the same key and swept by the worker's job."""

    STORAGE_SCHEME = ["portal-db"]

    @property
    def base_exceptions(self):
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        engine = db.engine
        insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        stmt = insert(RateCounter).values(key=key, count=amount, expires_at=now + expiry)
        stale = RateCounter.expires_at <= now
        stmt = stmt.on_conflict_do_update(index_elements=[RateCounter.key], set_={
            "count": case((stale, amount), else_=RateCounter.count + amount),
            "expires_at": case((stale, now + expiry), else_=RateCounter.expires_at),
        }).returning(RateCounter.count)
        with engine.connect().execution_options(sqlite_immediate=True) as conn:
            value = conn.execute(stmt).scalar_one()
            conn.commit()
        return value

    def get(self, key: str) -> int:
        with db.engine.connect() as conn:
            value = conn.execute(select(RateCounter.count).where(
                RateCounter.key == key, RateCounter.expires_at > time.time())).scalar()
        return value or 0

    def get_expiry(self, key: str) -> float:
        with db.engine.connect() as conn:
            value = conn.execute(select(RateCounter.expires_at).where(RateCounter.key == key)).scalar()
        return value if value is not None else time.time()

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with db.engine.begin() as conn:
            return conn.execute(delete(RateCounter)).rowcount

    def clear(self, key: str) -> None:
        with db.engine.begin() as conn:
            conn.execute(delete(RateCounter).where(RateCounter.key == key))


def sweep_counters_job() -> str | None:
    """The worker's periodic job: forget windows that have ended."""
    with db.engine.begin() as conn:
        n = conn.execute(delete(RateCounter).where(RateCounter.expires_at <= time.time())).rowcount
    return f"Limits: {n} ended counts removed." if n else None
