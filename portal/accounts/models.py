from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
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
    # Bumped when the password changes, so that every other session ends.
    auth_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    memberships = relationship("Membership", back_populates="user", lazy="select")

    def get_id(self) -> str:
        return f"{self.id}.{self.auth_version}"

    @property
    def is_active(self) -> bool:
        return self.is_enabled

    @property
    def is_mission(self) -> bool:
        return self.role in set(MissionRole)

    @property
    def contact_channel(self) -> str:
        return "email" if self.email else "sms"

    @property
    def contact_address(self) -> str:
        return self.email or self.phone or ""


class PasswordResetCode(db.Model):
    __tablename__ = "password_reset_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
