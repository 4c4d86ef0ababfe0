"""A partner service of the directory, and a bed a referral holds at a shelter."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import UTCDateTime, utcnow
from portal.extensions import db


class ServiceKind(StrEnum):
    SHELTER = "shelter"
    LEGAL_AID = "legal_aid"
    HOSPITAL = "hospital"
    CONSULATE = "consulate"
    HOTLINE = "hotline"
    UNION = "union"
    NGO = "ngo"


KIND_LABELS = {
    ServiceKind.SHELTER: _l("Shelter"),
    ServiceKind.LEGAL_AID: _l("Legal aid"),
    ServiceKind.HOSPITAL: _l("Hospital social worker"),
    ServiceKind.CONSULATE: _l("Consulate"),
    ServiceKind.HOTLINE: _l("Hotline"),
    ServiceKind.UNION: _l("Union"),
    ServiceKind.NGO: _l("Other NGO"),
}


class Service(db.Model):
    """One service of one organisation. A shelter may list its beds (`capacity`); `taken` counts the beds
    referrals hold, changed only through portal/capacity.py (the CHECK refuses an oversold row)."""
    __tablename__ = "directory_services"
    __table_args__ = (
        CheckConstraint("capacity IS NULL OR (capacity >= 0 AND taken >= 0 AND taken <= capacity)", name="beds"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organization: Mapped[str] = mapped_column(String(150))
    name: Mapped[str] = mapped_column(String(150))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    languages: Mapped[str] = mapped_column(String(100), default="")  # codes separated by commas
    hours: Mapped[str] = mapped_column(String(200), default="")
    district: Mapped[str] = mapped_column(String(30), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    url: Mapped[str] = mapped_column(String(300), default="")
    eligibility: Mapped[str] = mapped_column(String(500), default="")
    published: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    capacity: Mapped[int | None] = mapped_column(Integer)  # beds, for a shelter
    taken: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    starts_at = None  # capacity.Places asks for it when it offers a place: beds are never offered from a list

    @property
    def kind_label(self):
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def language_list(self) -> list[str]:
        return [c for c in self.languages.split(",") if c]

    @property
    def beds_free(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.taken, 0)


class BedHold(db.Model):
    """A bed a referral holds at a shelter, until the case closes or she withdraws."""
    __tablename__ = "directory_bed_holds"
    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("directory_services.id", ondelete="CASCADE"), index=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(10), default="held")  # held | released
    held_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    service = relationship("Service", lazy="joined")
