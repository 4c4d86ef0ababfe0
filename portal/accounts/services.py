"""Accounts: registration, sign-in, password reset, language. Tested without HTTP."""
from __future__ import annotations

import secrets
from datetime import timedelta

import phonenumbers
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.accounts.models import MissionRole, PasswordResetCode, User
from portal.audit import record
from portal.clock import aware, utcnow
from portal.extensions import db
from portal.notifications.services import queue
from portal.web import DomainError

# Hong Kong first; then the home countries whose local formats workers type (09xx… Philippines, 08xx… Indonesia).
PHONE_REGIONS = ("HK", "PH", "ID")
MIN_PASSWORD = 10
MAX_RESET_ATTEMPTS = 5


class InvalidPhone(DomainError):
    message = _l("This is not a mobile number we can use. Write it like 5123 4567 or +63 917 123 4567.")


class InvalidEmail(DomainError):
    message = _l("This e-mail address is not valid.")


class NeedContact(DomainError):
    message = _l("Give a mobile number or an e-mail address, so that you can sign in.")


class AlreadyRegistered(DomainError):
    message = _l("An account with this mobile number or e-mail already exists. Sign in, or reset your password.")


class WeakPassword(DomainError):
    message = _l("Use a password of at least %(n)s characters.", n=MIN_PASSWORD)


class BadCredentials(DomainError):
    message = _l("The sign-in details are not right. Check them and try again.")


class BadResetCode(DomainError):
    message = _l("This code is wrong or has expired. Ask for a new one.")


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


def find_by_login(identifier: str) -> User | None:
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    if "@" in identifier:
        try:
            email = normalise_email(identifier)
        except InvalidEmail:
            return None
        return db.session.scalar(select(User).where(func.lower(User.email) == email))
    try:
        phone = normalise_phone(identifier)
    except InvalidPhone:
        return None
    return db.session.scalar(select(User).where(User.phone == phone))


def register(name: str, password: str, locale: str = "en", phone: str | None = None,
             email: str | None = None, role: MissionRole | None = None) -> User:
    phone = normalise_phone(phone) if phone else None
    email = normalise_email(email) if email else None
    if not phone and not email:
        raise NeedContact()
    if len(password or "") < MIN_PASSWORD:
        raise WeakPassword()
    if (phone and db.session.scalar(select(User.id).where(User.phone == phone))) or \
            (email and db.session.scalar(select(User.id).where(func.lower(User.email) == email))):
        raise AlreadyRegistered()
    if locale not in current_app.config["LANGUAGES"]:
        locale = "en"
    user = User(name=name.strip(), phone=phone, email=email, locale=locale,
                password_hash=hasher().hash(password), role=role)
    db.session.add(user)
    db.session.flush()
    record(user, "user.registered", user, {"role": role} if role else None)
    db.session.commit()
    return user


def authenticate(identifier: str, password: str) -> User:
    user = find_by_login(identifier)
    if user is None or not user.is_enabled:
        hasher().hash("timing-equaliser")  # same work whether or not the account exists
        raise BadCredentials()
    try:
        hasher().verify(user.password_hash, password or "")
    except (VerificationError, InvalidHashError) as e:
        raise BadCredentials() from e
    if hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hasher().hash(password)
        db.session.commit()
    return user


def request_reset(identifier: str) -> None:
    """Send a one-time code if the account exists; say nothing either way."""
    user = find_by_login(identifier)
    if user is None or not user.is_enabled:
        return
    code = f"{secrets.randbelow(10**6):06d}"
    minutes = current_app.config["RESET_CODE_MINUTES"]
    now = utcnow()
    for old in db.session.scalars(select(PasswordResetCode).where(
            PasswordResetCode.user_id == user.id, PasswordResetCode.used_at.is_(None))):
        old.used_at = now  # only the newest code works
    db.session.add(PasswordResetCode(user_id=user.id, code_hash=hasher().hash(code),
                                     expires_at=now + timedelta(minutes=minutes)))
    queue(user, "reset_code", code=code, minutes=minutes)
    record(user, "user.reset_requested", user)
    db.session.commit()


def reset_password(identifier: str, code: str, new_password: str) -> User:
    if len(new_password or "") < MIN_PASSWORD:
        raise WeakPassword()
    user = find_by_login(identifier)
    if user is None:
        raise BadResetCode()
    reset = db.session.scalar(select(PasswordResetCode).where(
        PasswordResetCode.user_id == user.id, PasswordResetCode.used_at.is_(None))
        .order_by(PasswordResetCode.id.desc()))
    now = utcnow()
    if reset is None or aware(reset.expires_at) < now or reset.attempts >= MAX_RESET_ATTEMPTS:
        raise BadResetCode()
    try:
        hasher().verify(reset.code_hash, (code or "").strip())
    except (VerificationError, InvalidHashError) as e:
        reset.attempts += 1
        db.session.commit()
        raise BadResetCode() from e
    reset.used_at = now
    user.password_hash = hasher().hash(new_password)
    user.auth_version += 1
    record(user, "user.password_reset", user)
    db.session.commit()
    return user


def set_language(user: User | None, locale: str) -> str:
    if locale not in current_app.config["LANGUAGES"]:
        raise DomainError(_l("This language is not available."))
    if user is not None and user.is_authenticated and user.locale != locale:
        user.locale = locale
        db.session.commit()
    return locale


