from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import UTCDateTime, utcnow
from portal.extensions import db


class MissionRole(StrEnum):
    """Roles on the Mission's side; given by the CLI, never by self-registration."""
    STAFF = "staff"
    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def label(self):
        return ROLE_LABELS[self]


ROLE_LABELS = {
    MissionRole.STAFF: _l("Mission staff"),
    MissionRole.CASEWORKER: _l("Caseworker"),
    MissionRole.SUPERVISOR: _l("Supervisor"),
    MissionRole.ADMIN: _l("Administrator"),
}


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)  # E.164
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(10), default="en")
    role: Mapped[str | None] = mapped_column(String(20))  # a MissionRole, or None for everyone else
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # When she proved the number is hers (a code sent to it, typed back). Until then nothing but that code is
    # sent to it and it cannot reset the password: anyone can type a stranger's number when registering.
    phone_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Discreet wording: her messages, calendar files and feed say "Mission Portal" with a time and place, and
    # nothing of what it is about (no course, organisation or campaign): her phone may be read by others.
    discreet: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # When she agreed to get messages on WhatsApp at her confirmed number (None: she has not, or withdrew).
    # Which messages go there is hers to choose per topic (portal.notifications.models.MessageChoice).
    whatsapp_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships = relationship("Membership", back_populates="user", lazy="select")

    # Flask-Login's mixin compares people by get_id(), which is now a sign-in's token: compare rows as
    # SQLAlchemy does (one object per row in a session).
    __eq__, __ne__, __hash__ = object.__eq__, object.__ne__, object.__hash__

    sign_in = None  # the SignIn this request came with (set by the user loader, or at sign-in): not a column

    def get_id(self) -> str:
        """What the session and the remember cookie carry: the token of this sign-in, never the account's
        number, so that ending the sign-in in the database ends it wherever the cookie still is."""
        if self.sign_in is None or not getattr(self.sign_in, "token", None):
            raise RuntimeError("get_id() needs the sign-in that portal.accounts.services.start_sign_in made")
        return self.sign_in.token

    @property
    def is_active(self) -> bool:
        return self.is_enabled

    @property
    def role_label(self):
        return ROLE_LABELS[MissionRole(self.role)] if self.role in set(MissionRole) else ""

    @property
    def phone_confirmed(self) -> bool:
        return bool(self.phone and self.phone_confirmed_at)

    @property
    def contact_channel(self) -> str | None:
        """How the portal reaches her: e-mail if she gave one, else her number once confirmed, else not."""
        return "email" if self.email else "sms" if self.phone_confirmed else None

    @property
    def contact_address(self) -> str:
        """Her e-mail or confirmed number, to show (e.g. a shift lead's, to volunteers)."""
        return self.email or (self.phone if self.phone_confirmed else "") or ""


class SignInEnd(StrEnum):
    """How a sign-in ended (kept on the row and in the audit log)."""
    SIGNED_OUT = "signed_out"      # the Sign out button
    QUICK_EXIT = "quick_exit"
    EVERYWHERE = "everywhere"      # "Sign out everywhere"
    PASSWORD = "password"          # the password was changed or reset
    REPLACED = "replaced"          # someone else signed in on the same browser


class SignIn(db.Model):
    """One sign-in on one browser. The token is made at sign-in and kept here only as its SHA-256 (a copy of
    the database signs no one in); it is valid until `expires_at` (12 hours, or 14 days with "Keep me signed
    in") unless it was ended: at sign-out, by "Sign out everywhere", or when the password changes."""
    __tablename__ = "sign_ins"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_how: Mapped[str | None] = mapped_column(String(20))  # a SignInEnd

    token = None  # the token itself: only in the request that made it, or that came with it


class CalendarFeed(db.Model):
    """A person's private calendar address: the token is the only key, and a new one revokes the old. Her
    trainings are in it (and later her campaign shifts); it ends with her other sign-ins."""
    __tablename__ = "calendar_feeds"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CodePurpose(StrEnum):
    RESET = "reset"  # a new password
    PHONE = "phone"  # a number is hers: `phone` is the number it was sent to


class OneTimeCode(db.Model):
    """A code sent to her, kept as an HMAC: to set a new password, or to confirm a number (the table's name
    is older than the second use)."""
    __tablename__ = "password_reset_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(10), default=CodePurpose.RESET, server_default=CodePurpose.RESET)
    phone: Mapped[str | None] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
