"""Accounts: registration, sign-in and sign-out, passwords and reset codes, language. Tested without HTTP.

Tries are limited (portal/throttle.py) by what happened: a failed sign-in, a wrong code, a code asked for,
a registration; per address and per account (or per number or e-mail typed, normalised, when there is no
account), so that writing one address another way counts against the same account. `address` is the
client's address; None for the CLI and the demo, which are not limited."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

import phonenumbers
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from portal import throttle
from portal.accounts.devices import Device
from portal.accounts.models import (
    CalendarFeed, CodePurpose, MissionRole, OneTimeCode, SignIn, SignInEnd, User,
)
from portal.accounts.roles import Power, can
from portal.audit import record
from portal.clock import utcnow
from portal.crypto import keyed_hash
from portal.extensions import db
from portal.notifications.services import queue, queue_to, withdraw_whatsapp
from portal.web import DomainError, NotAllowed

# Hong Kong first; then the home countries whose local formats workers type (09xx… Philippines, 08xx… Indonesia).
PHONE_REGIONS = ("HK", "PH", "ID")
MIN_PASSWORD = 10
MAX_RESET_ATTEMPTS = 5


class _HomeNumber:
    """An example of a home-country mobile number, of the reader's own country (an Indonesian reading a
    Philippine number as the example wonders whether hers will do)."""
    EXAMPLES = {"fil": "+63 917 123 4567", "id": "+62 812 3456 7890"}

    def __str__(self):
        return self.EXAMPLES.get(str(get_locale()), self.EXAMPLES["fil"])


HOME_NUMBER = _HomeNumber()


class InvalidPhone(DomainError):
    message = _l("This is not a mobile number we can use. Write it like 5123 4567 or %(example)s.",
                 example=HOME_NUMBER)


class InvalidEmail(DomainError):
    message = _l("This e-mail address is not valid.")


class NeedContact(DomainError):
    message = _l("Give a mobile number or an e-mail address, so that you can sign in.")


class AlreadyRegistered(DomainError):
    # Says neither which detail nor that an account exists: a stranger trying numbers learns nothing more
    # than from a typing mistake, while the owner is told what to do.
    message = _l("We could not make an account with these details. If this mobile number or e-mail is "
                 "yours, you may have an account already: sign in, or reset your password.")


class WeakPassword(DomainError):
    message = _l("Use a password of at least %(n)s characters.", n=MIN_PASSWORD)


class BadCredentials(DomainError):
    message = _l("The sign-in details are not right. Check them and try again.")


class NumberAlreadyConfirmed(DomainError):
    message = _l("This number is confirmed already.")


class BadResetCode(DomainError):
    message = _l("This code is wrong or has expired. Ask for a new one.")


class WrongPassword(DomainError):
    message = _l("This is not your current password.")


def hasher() -> PasswordHasher:
    return PasswordHasher(**current_app.config.get("PASSWORD_HASH", {}))


def normalise_phone(raw: str) -> str:
    """Any Hong Kong or home-country way of writing a mobile number, as E.164."""
    raw = (raw or "").strip()
    if not raw or len(raw) > 32:
        raise InvalidPhone()
    regions = [None] if raw.startswith("+") else PHONE_REGIONS
    for region in regions:
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise InvalidPhone()


def normalise_email(raw: str) -> str:
    try:
        return validate_email((raw or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as e:
        raise InvalidEmail() from e


def login_identity(identifier: str) -> str | None:
    """The account an identifier names, written one way: "email:<normalised>" or "phone:<E.164>"."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    try:
        if "@" in identifier:
            return "email:" + normalise_email(identifier)
        return "phone:" + normalise_phone(identifier)
    except DomainError:
        return None


def find_by_login(identifier: str) -> User | None:
    identity = login_identity(identifier)
    if identity is None:
        return None
    kind, value = identity.split(":", 1)
    column = func.lower(User.email) if kind == "email" else User.phone
    return db.session.scalar(select(User).where(column == value))


def _account_key(identifier: str, user: User | None) -> str:
    """One count per account, however its number or e-mail was written; else per identity typed."""
    if user is not None:
        return throttle.key(f"user:{user.id}")
    return throttle.key(login_identity(identifier) or (identifier or "").strip().casefold())


def register(name: str, password: str, locale: str = "en", phone: str | None = None,
             email: str | None = None, role: MissionRole | None = None, address: str | None = None) -> User:
    phone = normalise_phone(phone) if phone else None
    email = normalise_email(email) if email else None
    if not phone and not email:
        raise NeedContact()
    if address is not None:
        targets = [f"phone:{phone}"] * bool(phone) + [f"email:{email}"] * bool(email)
        throttle.take((throttle.REGISTER_ADDRESS, address),
                      *((throttle.REGISTER_TARGET, throttle.key(t)) for t in targets))
    if len(password or "") < MIN_PASSWORD:
        raise WeakPassword()
    password_hash = hasher().hash(password)  # before the check below: as long whether or not it is taken
    holder = db.session.scalar(select(User).where(User.phone == phone)) if phone else None
    if (holder and holder.phone_confirmed) or \
            (email and db.session.scalar(select(User.id).where(func.lower(User.email) == email))):
        raise AlreadyRegistered()
    if holder:  # typed into another account that never confirmed it: hers once she types the code sent to it
        phone = None
    if locale not in current_app.config["LANGUAGES"]:
        locale = "en"
    user = User(name=name.strip(), phone=phone, email=email, locale=locale, password_hash=password_hash, role=role)
    db.session.add(user)
    db.session.flush()
    record(user, "user.registered", user, {"role": role} if role else None)
    db.session.commit()
    return user


def authenticate(identifier: str, password: str, user: User | None = None) -> User:
    """The account whose password this is (`user`: the one find_by_login found already, if the caller did)."""
    user = user or find_by_login(identifier)
    if user is None or not user.is_enabled:
        hasher().hash("timing-equaliser")  # same work whether or not the account exists
        raise BadCredentials()
    _check_password(user, password, BadCredentials)
    return user


def _check_password(user: User, password: str, error: type[DomainError]) -> None:
    try:
        hasher().verify(user.password_hash, password or "")
    except (VerificationError, InvalidHashError) as e:
        raise error() from e
    if hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hasher().hash(password)
        db.session.commit()


def sign_in(identifier: str, password: str, remember: bool = False, address: str = "-",
            device: Device | None = None) -> User:
    """Check the password and start a sign-in. On a phone where the account signed in before (`device`),
    failures are counted for that phone alone; elsewhere five failures for the account in 15 minutes, or
    thirty from one address, and sign-in waits, for strangers only: so no one who knows her number can lock
    her out of her own phone. A failure, and the lock-out it causes, are audited (for an account that exists:
    an address typed wrong names no one)."""
    user = find_by_login(identifier)
    if user is not None and device is not None and device.knows(user.id):
        checks = ((throttle.LOGIN_DEVICE, throttle.key(f"device:{device.id}:{user.id}")),)
    else:
        checks = ((throttle.LOGIN_ACCOUNT, _account_key(identifier, user)), (throttle.LOGIN_ADDRESS, address))
    taken = throttle.take(*checks)
    try:
        authenticate(identifier, password, user)
    except BadCredentials:
        locked = throttle.LOGIN_ACCOUNT in taken.used_up()
        _refused(user, "user.sign_in_failed", *(["user.locked_out"] if locked else []))
        raise
    taken.give_back()
    return start_sign_in(user, remember)


def _refused(user: User | None, *actions: str, details: dict | None = None) -> None:
    """A try that failed: the caller's changes are rolled back, and the failure audited (with no actor: who
    tried is not known) in a transaction of its own, which the refusal's rollback cannot undo."""
    db.session.rollback()
    if user is not None:
        for action in actions:
            record(None, action, user, details)
        db.session.commit()


# --- sign-ins: one row each, its token the key (see SignIn) ---

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_sign_in(user: User, remember: bool = False) -> User:
    """A new sign-in for this browser; its token goes into the session (and the remember cookie)."""
    token = secrets.token_urlsafe(32)
    lasts = current_app.config["REMEMBER_COOKIE_DURATION" if remember else "PERMANENT_SESSION_LIFETIME"]
    row = SignIn(user_id=user.id, token_hash=_token_hash(token), remember=remember,
                 expires_at=utcnow() + lasts)
    db.session.add(row)
    db.session.flush()
    record(user, "user.signed_in", user, {"remember": remember})
    db.session.commit()
    row.token, user.sign_in = token, row
    return user


def signed_in_user(token: str) -> User | None:
    """The person a session's or remember cookie's token signs in: the sign-in not ended, not expired, the
    account enabled. One query per request."""
    if not token or len(token) > 100:
        return None
    found = db.session.execute(select(SignIn, User).join(User, User.id == SignIn.user_id).where(
        SignIn.token_hash == _token_hash(token), SignIn.ended_at.is_(None), SignIn.expires_at > utcnow(),
        User.is_enabled.is_(True))).first()
    if found is None:
        return None
    row, user = found
    row.token, user.sign_in = token, row
    return user


def end_sign_in(tokens: list[str], how: SignInEnd = SignInEnd.SIGNED_OUT) -> None:
    """Sign-out: the sign-ins these tokens belong to are never accepted again, wherever a copy of the cookie
    is. By token, not by the signed-in person: a phone whose address changed since it signed in arrives with
    its session emptied by Flask-Login's protection, but still carries its remember cookie."""
    hashes = {_token_hash(t) for t in tokens if t and len(t) <= 100}
    if not hashes:
        return
    rows = db.session.execute(select(SignIn.id, SignIn.user_id).where(
        SignIn.token_hash.in_(hashes), SignIn.ended_at.is_(None))).all()
    if not rows:
        return
    db.session.execute(update(SignIn).where(SignIn.id.in_([r.id for r in rows])).values(
        ended_at=utcnow(), ended_how=how))
    for user_id in {r.user_id for r in rows}:
        user = db.session.get(User, user_id)
        record(user, "user.signed_out", user, {"how": str(how)})
    db.session.commit()


def end_sign_ins(user: User, how: SignInEnd) -> int:
    """End her sign-ins on every phone and browser, and her calendar address, which is a key to her account
    too. Returns how many sign-ins were ended."""
    ended = _end_sign_ins(user, how)
    record(user, "user.signed_out_everywhere", user, {"how": str(how), "ended": ended})
    db.session.commit()
    return ended


def _end_sign_ins(user: User, how: SignInEnd, keep: int | None = None) -> int:
    query = update(SignIn).where(SignIn.user_id == user.id, SignIn.ended_at.is_(None))
    if keep is not None:
        query = query.where(SignIn.id != keep)
    ended = db.session.execute(query.values(ended_at=utcnow(), ended_how=how)).rowcount
    db.session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user.id))
    return ended


def active_sign_ins(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(SignIn).where(
        SignIn.user_id == user.id, SignIn.ended_at.is_(None), SignIn.expires_at > utcnow()))


def sweep_sign_ins_job() -> str | None:
    """The worker's periodic job: forget sign-ins that ended or expired more than 30 days ago."""
    cutoff = utcnow() - timedelta(days=30)
    n = db.session.execute(delete(SignIn).where((SignIn.expires_at < cutoff) | (SignIn.ended_at < cutoff))
                           .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return f"Accounts: {n} old sign-ins removed." if n else None


# --- passwords ---

def _her_password(user: User, current: str, where: str) -> None:
    """She is signed in and proves it is her, before a change someone else holding her phone must not make:
    wrong passwords are limited as failed sign-ins are, but per account, and audited as failed sign-ins."""
    taken = throttle.take((throttle.PASSWORD_CHANGE, throttle.key(f"user:{user.id}")))
    try:
        _check_password(user, current, WrongPassword)
    except WrongPassword:
        _refused(user, "user.sign_in_failed", details={"where": where})
        raise
    taken.give_back()


def change_password(user: User, current: str, new_password: str) -> User:
    """Her own password, the current one first (wrong ones are limited as failed sign-ins are, but per
    account: she is signed in). Every other sign-in ends, and her calendar address with them."""
    if len(new_password or "") < MIN_PASSWORD:
        raise WeakPassword()
    _her_password(user, current, "password_change")
    user.password_hash = hasher().hash(new_password)
    _end_sign_ins(user, SignInEnd.PASSWORD, keep=user.sign_in.id if user.sign_in else None)
    record(user, "user.password_changed", user)
    db.session.commit()
    return user


def _code_hash(user_id: int, code: str, purpose: str = CodePurpose.RESET, phone: str | None = None) -> str:
    """A code, kept as an HMAC with the app's secret: a copy of the database alone cannot try the million
    codes, and checking one costs the same microseconds for every account (no slow hash to time). A number's
    code is bound to the number: it confirms that one only."""
    if purpose == CodePurpose.RESET:
        return keyed_hash("reset", f"{user_id}:{code}")
    return keyed_hash(purpose, f"{user_id}:{phone}:{code}")


def _new_code(user: User, purpose: CodePurpose, phone: str | None = None) -> str:
    """A new six-digit code for `purpose`, in the caller's transaction; her earlier one stops working."""
    code = f"{secrets.randbelow(10**6):06d}"
    now = utcnow()
    db.session.execute(update(OneTimeCode).where(
        OneTimeCode.user_id == user.id, OneTimeCode.purpose == purpose, OneTimeCode.used_at.is_(None))
        .values(used_at=now))
    db.session.add(OneTimeCode(user_id=user.id, purpose=purpose, phone=phone,
                               code_hash=_code_hash(user.id, code, purpose, phone),
                               expires_at=now + timedelta(minutes=current_app.config["RESET_CODE_MINUTES"])))
    return code


def _use_code(user: User | None, purpose: CodePurpose, code: str, taken: throttle.Taken) -> OneTimeCode:
    """Her newest code of `purpose`, used up if `code` is it. Each code allows five tries, counted in the
    database by a conditional UPDATE that takes a try before the code is compared, so tries sent at once
    cannot get past the count; wrong codes from one address are limited too (`taken`). (Not per account:
    then anyone could use up her tries and block her own code.)"""
    row = user and db.session.scalars(select(OneTimeCode).where(
        OneTimeCode.user_id == user.id, OneTimeCode.purpose == purpose, OneTimeCode.used_at.is_(None))
        .order_by(OneTimeCode.id.desc()).limit(1)).first()
    if not row or not _take_a_try(row.id):
        _refused(user, f"user.{purpose}_code_wrong")
        raise BadResetCode()
    if not hmac.compare_digest(row.code_hash, _code_hash(user.id, (code or "").strip(), purpose, row.phone)):
        _refused(user, f"user.{purpose}_code_wrong")
        raise BadResetCode()
    taken.give_back()  # only wrong codes count
    used = db.session.execute(update(OneTimeCode).where(
        OneTimeCode.id == row.id, OneTimeCode.used_at.is_(None)).values(used_at=utcnow())).rowcount
    if not used:  # the same code, used at the same moment by another try
        raise BadResetCode()
    return row


def request_reset(identifier: str, address: str | None = None) -> None:
    """Send a one-time code if the account exists and can be reached (an e-mail, or a confirmed number);
    say nothing either way. Asks from one address are limited; codes to one number or e-mail too, whoever
    asks, and beyond that limit the answer is the same and nothing is sent (her phone is not flooded, and the
    code she has keeps working)."""
    user = find_by_login(identifier)
    if address is not None:
        throttle.take((throttle.RESET_ADDRESS, address))
        target = _account_key(identifier, user)
        try:
            throttle.take((throttle.RESET_TARGET, target), (throttle.RESET_TARGET_DAY, target))
        except throttle.TooManyTries:
            user = None
    if user is None or not user.is_enabled or not user.contact_channel:
        db.session.commit()  # the same round trips as below, near enough: no answer comes back faster
        return
    code = _new_code(user, CodePurpose.RESET)
    queue(user, "reset_code", code=code, minutes=current_app.config["RESET_CODE_MINUTES"])
    record(user, "user.reset_requested", user)
    db.session.commit()


class NoSuchAccount(DomainError):
    message = _l("Nobody is registered with this number or e-mail. She can register on her phone now.")


def assisted_reset(staff, identifier: str) -> User:
    """Mission staff at the desk, she in front of them with her phone (she registered with a number only and
    never confirmed it, so no code can be asked for it from the sign-in page): a code to set a new password
    goes to her number, confirmed or not, else to her e-mail. She types it on her phone (*I already have a code*),
    which confirms the number too. The code is limited per number like any other, and the audit row names
    the staff member who sent it."""
    if not can(staff, Power.HELP_INTO_ACCOUNT):
        raise NotAllowed()
    user = find_by_login(identifier)
    if user is None or not user.is_enabled:
        raise NoSuchAccount()
    target = throttle.key(f"user:{user.id}")
    throttle.take((throttle.RESET_TARGET, target), (throttle.RESET_TARGET_DAY, target))
    minutes = current_app.config["RESET_CODE_MINUTES"]
    code = _new_code(user, CodePurpose.RESET, user.phone)
    if user.phone:
        queue_to("sms", user.phone, user.locale or "en", "reset_code", user_id=user.id, code=code, minutes=minutes)
    else:
        queue(user, "reset_code", code=code, minutes=minutes)
    record(staff, "user.assisted_reset", user, {"to": "number" if user.phone else "email"})
    db.session.commit()
    return user


def reset_password(identifier: str, code: str, new_password: str, address: str | None = None) -> User:
    """Set a new password with the newest code (see _use_code). Every sign-in and her calendar address end.
    A code that went to her number (at the desk) confirms that number: she has typed it back."""
    if len(new_password or "") < MIN_PASSWORD:
        raise WeakPassword()
    taken = throttle.take((throttle.CODE_ADDRESS, address)) if address is not None else throttle.Taken([])
    user = find_by_login(identifier)
    row = _use_code(user, CodePurpose.RESET, code, taken)
    if row.phone and row.phone == user.phone and not user.phone_confirmed:
        user.phone_confirmed_at = utcnow()
        record(user, "user.phone_confirmed", user, {"new_number": False, "by": "reset code"})
    user.password_hash = hasher().hash(new_password)
    _end_sign_ins(user, SignInEnd.PASSWORD)
    record(user, "user.password_reset", user)
    db.session.commit()
    return user


def _take_a_try(code_id: int) -> bool:
    """One of the code's tries, taken in a short transaction of its own: False when none is left or the
    code has expired or was used."""
    db.session.commit()  # end the reads above, so that the write below begins as a transaction of its own
    taken = db.session.execute(update(OneTimeCode).where(
        OneTimeCode.id == code_id, OneTimeCode.used_at.is_(None),
        OneTimeCode.expires_at > utcnow(), OneTimeCode.attempts < MAX_RESET_ATTEMPTS)
        .values(attempts=OneTimeCode.attempts + 1).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return bool(taken)


# --- her number is hers: a code sent to it, typed back ---

def send_phone_code(user: User, phone: str | None = None, address: str | None = None) -> str:
    """Send a code to `phone` (a new number she wants), else to her number: the one message that goes to a
    number not yet confirmed. Limited per address, per account and per number, before anything is looked up.
    A number another account has confirmed gets nothing, and the answer is the same: whether a number has an
    account is not told here. A number another account holds unconfirmed does get the code: it is hers if
    she types it (confirm_phone). Returns the number."""
    phone = normalise_phone(phone) if phone else user.phone
    if not phone:
        raise NeedContact()
    if phone == user.phone and user.phone_confirmed:
        raise NumberAlreadyConfirmed()
    if address is not None:
        target = throttle.key(f"phone:{phone}")
        throttle.take((throttle.PHONE_CODE_ADDRESS, address),
                      (throttle.PHONE_CODE_ACCOUNT, throttle.key(f"user:{user.id}")),
                      (throttle.RESET_TARGET, target), (throttle.RESET_TARGET_DAY, target))
    code = _new_code(user, CodePurpose.PHONE, phone)
    if not _confirmed_elsewhere(user, phone):
        queue_to("sms", phone, user.locale or "en", "phone_code", user_id=user.id, code=code,
                 minutes=current_app.config["RESET_CODE_MINUTES"])
    record(user, "user.phone_code_sent", user, {"new_number": phone != user.phone})
    db.session.commit()
    return phone


def _confirmed_elsewhere(user: User, phone: str) -> bool:
    return bool(db.session.scalar(select(User.id).where(User.phone == phone, User.id != user.id,
                                                        User.phone_confirmed_at.isnot(None))))


def change_phone(user: User, current: str, phone: str, address: str | None = None) -> str:
    """She asks for a new number, with her password (someone else holding her phone, signed in, must not
    move her messages to another number): a code goes to it; her number changes when she types it back."""
    _her_password(user, current, "phone_change")
    return send_phone_code(user, phone, address=address)


def code_undelivered(user: User, phone: str | None) -> bool:
    """Whether the gateway said her newest code to `phone` could not be delivered (a wrong number)."""
    from portal.notifications.models import OutboxMessage
    status = db.session.scalar(select(OutboxMessage.status).where(
        OutboxMessage.user_id == user.id, OutboxMessage.kind == "phone_code", OutboxMessage.to_address == phone)
        .order_by(OutboxMessage.id.desc()).limit(1)) if phone else None
    return status == "failed"


def pending_number(user: User) -> str | None:
    """The number her newest unused code was sent to (to show on the page where she types it)."""
    return db.session.scalar(select(OneTimeCode.phone).where(
        OneTimeCode.user_id == user.id, OneTimeCode.purpose == CodePurpose.PHONE, OneTimeCode.used_at.is_(None),
        OneTimeCode.expires_at > utcnow()).order_by(OneTimeCode.id.desc()).limit(1))


def confirm_phone(user: User, code: str, address: str | None = None) -> User:
    """The number her newest code was sent to is hers: it becomes her number, confirmed (a new number
    replaces the old one only now, so that until then the account keeps what it had). Another account that
    held it unconfirmed loses it; codes to set a new password sent before stop working."""
    taken = throttle.take((throttle.CODE_ADDRESS, address)) if address is not None else throttle.Taken([])
    row = _use_code(user, CodePurpose.PHONE, code, taken)
    changed = row.phone != user.phone
    if changed:
        other = db.session.scalars(select(User).where(User.phone == row.phone, User.id != user.id)
                                   .with_for_update()).first()
        if other is not None and other.phone_confirmed:  # confirmed there meanwhile
            db.session.rollback()
            raise AlreadyRegistered()
        if other is not None:
            other.phone = None
            record(user, "user.phone_released", other)
            db.session.flush()
        db.session.execute(update(OneTimeCode).where(
            OneTimeCode.user_id == user.id, OneTimeCode.purpose == CodePurpose.RESET, OneTimeCode.used_at.is_(None))
            .values(used_at=utcnow()))
    old_number = user.phone if changed and user.phone_confirmed else None
    if changed:  # she agreed to WhatsApp at the old number: asked again for the new one
        withdraw_whatsapp(user, "new number")
    user.phone, user.phone_confirmed_at = row.phone, utcnow()
    if old_number:  # told at the number she had, in case it was not she who changed it
        queue_to("sms", old_number, user.locale or "en", "phone_changed", user_id=user.id)
    record(user, "user.phone_confirmed", user, {"new_number": changed})
    try:
        db.session.commit()
    except IntegrityError:  # the same number confirmed by two at the same moment
        db.session.rollback()
        raise AlreadyRegistered() from None
    return user


def set_discreet(user: User, on: bool) -> User:
    """Her messages, calendar files and feed in discreet wording (User.discreet), or not."""
    user.discreet = bool(on)
    record(user, "user.discreet", user, {"on": user.discreet})
    db.session.commit()
    return user


# --- the private calendar address (her trainings, later her shifts): a key to her account ---

def calendar_feed(user: User, renew: bool = False) -> CalendarFeed:
    """Her calendar address, made on first asking; renewing it makes the old address stop working."""
    feed = db.session.get(CalendarFeed, user.id)
    if feed is None:
        feed = CalendarFeed(user_id=user.id, token=secrets.token_urlsafe(32))
        db.session.add(feed)
        record(user, "calendar.created", user)
    elif renew:
        feed.token, feed.created_at = secrets.token_urlsafe(32), utcnow()
        record(user, "calendar.renewed", user)
    db.session.commit()
    return feed


def stop_calendar_feed(user: User) -> None:
    feed = db.session.get(CalendarFeed, user.id)
    if feed is not None:
        db.session.delete(feed)
        record(user, "calendar.stopped", user)
        db.session.commit()


def feed_owner(token: str) -> User | None:
    """Whose address this is: none for a disabled account (and an address ends with her other sign-ins)."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(User).join(CalendarFeed, CalendarFeed.user_id == User.id).where(
        CalendarFeed.token == token, User.is_enabled.is_(True)))


def set_language(user: User | None, locale: str) -> str:
    if locale not in current_app.config["LANGUAGES"]:
        raise DomainError(_l("This language is not available."))
    if user is not None and user.is_authenticated and user.locale != locale:
        user.locale = locale
        db.session.commit()
    return locale


