"""Campaigns: the Mission's and the organisations' campaigns, their shifts (places held through
portal/capacity.py, like a training's seats), volunteers' sign-ups and waiting lists, endorsements by
organisations, and what each volunteer lets the public pages show of her."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _p
from sqlalchemy import (
    Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.capacity import (
    PLACE_TRANSITIONS, ROW_TRANSITIONS, WAIT_TRANSITIONS, HeldPlace, OffersPlaces, PlaceState, RowState, WaitingPlace,
)
from portal.clock import UTCDateTime, utcnow
from portal.extensions import db
from portal.trainings.models import DELIVERY_LANGUAGES, best_text
from portal.web import StateMachine

ACTIVITIES = {
    "leafleting": _p("activity", "Leafleting"),
    "rally": _p("activity", "Rally or march"),
    "hotline": _p("activity", "Hotline"),
    "petition": _p("activity", "Petition drive"),
    "forum": _p("activity", "Forum"),
    "other": _p("activity", "Other"),
}

SHIFT_ROLES = {
    "volunteer": _p("shift role", "Volunteer"),
    "marshal": _p("shift role", "Marshal"),
    "leafleter": _p("shift role", "Leafleter"),
    "interpreter": _p("shift role", "Interpreter"),
    "first_aider": _p("shift role", "First aider"),
    "hotline": _p("shift role", "Hotline"),
}

# What to bring: chosen from a short list, so that every volunteer reads it in her language.
BRING = {
    "water": _p("bring", "Water"),
    "umbrella": _p("bring", "Umbrella or hat"),
    "phone": _p("bring", "A charged phone"),
    "id": _p("bring", "Your HKID or passport"),
    "snack": _p("bring", "Something to eat"),
    "white_shirt": _p("bring", "A white T-shirt"),
}

SHIFT_LANGUAGES = DELIVERY_LANGUAGES  # the language a shift is held in, as a training's

# Giving back a place this close to the start is a release ("my day off was cancelled"): no mark against her.
RELEASE_WINDOW = timedelta(hours=48)


class CampaignState(StrEnum):
    OPEN = "open"
    CANCELLED = "cancelled"


CAMPAIGN_TRANSITIONS = {CampaignState.OPEN: {CampaignState.CANCELLED}, CampaignState.CANCELLED: set()}


class Campaign(StateMachine, db.Model):
    __tablename__ = "campaigns"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="dates"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    # The short link /c/<code>: random, so that campaigns cannot be counted by their addresses.
    code: Mapped[str] = mapped_column(String(12), unique=True)
    # Public: anyone may see it and sign up. Otherwise: members of the organisations that endorse it.
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20), default=CampaignState.OPEN, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    texts = relationship("CampaignText", lazy="selectin", cascade="all, delete-orphan")
    TRANSITIONS = CAMPAIGN_TRANSITIONS

    def text(self, locale: str | None = None):
        return best_text({t.locale: t for t in self.texts}, locale or str(get_locale()))

    @property
    def title(self) -> str:
        t = self.text()
        return t.title if t else ""

    @property
    def description(self) -> str:
        t = self.text()
        return t.description if t else ""

    @property
    def is_open(self) -> bool:
        return self.state == CampaignState.OPEN


class CampaignText(db.Model):
    """A campaign's title and description in one language."""
    __tablename__ = "campaign_texts"
    __table_args__ = (UniqueConstraint("campaign_id", "locale"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    locale: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")


# A shift offers places as any row does (portal/capacity.py).
ShiftState = RowState
SHIFT_TRANSITIONS = ROW_TRANSITIONS


class Shift(OffersPlaces, StateMachine, db.Model):
    """People needed at one place and time: places held as a training's seats are (portal/capacity.py)."""
    __tablename__ = "shifts"
    __table_args__ = (
        CheckConstraint("taken >= 0 AND taken <= capacity", name="places"),
        CheckConstraint("capacity > 0", name="capacity"),
        CheckConstraint("ends_at > starts_at", name="times"),
        # /campaigns/ walks scheduled shifts in order of start, and counts them, filtered by campaign, role and
        # language, from this index alone (campaigns/queries.py).
        Index("ix_shifts_state_starts_at", "state", "starts_at", "campaign_id", "role", "language"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    activity: Mapped[str] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(10))
    place: Mapped[str] = mapped_column(String(200))
    map_url: Mapped[str] = mapped_column(String(300), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # capacity and taken: OffersPlaces (taken changed only by capacity.py's conditional updates).
    bring: Mapped[str] = mapped_column(String(200), default="")  # keys of BRING, comma-separated
    bring_note: Mapped[str] = mapped_column(String(200), default="")
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    state: Mapped[str] = mapped_column(String(20), default=ShiftState.SCHEDULED)
    version: Mapped[int] = mapped_column(Integer, default=0)
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    campaign = relationship("Campaign", lazy="joined")
    lead = relationship("User", foreign_keys=[lead_id])
    TRANSITIONS = SHIFT_TRANSITIONS

    @property
    def open_for_signup(self) -> bool:
        return self.state == ShiftState.SCHEDULED and self.campaign.is_open and not self.is_past

    @property
    def can_change(self) -> bool:
        return self.can(ShiftState.CANCELLED) and not self.is_past

    @property
    def late(self) -> bool:
        """Giving back a place now is a release, with no mark against her."""
        return self.starts_at - utcnow() < RELEASE_WINDOW

    @property
    def bring_keys(self) -> list[str]:
        return [k for k in self.bring.split(",") if k in BRING]

    @property
    def bring_list(self) -> list:
        """What to bring, as she reads it: the chosen things in her language, then the note."""
        return [BRING[k] for k in self.bring_keys] + ([self.bring_note] if self.bring_note else [])

    @property
    def hours(self) -> float:
        return round((self.ends_at - self.starts_at).total_seconds() / 3600, 2)


SIGNUP_LABELS = {
    PlaceState.BOOKED: _l("Signed up"),
    PlaceState.CANCELLED: _l("Cancelled"),
    PlaceState.RELEASED: _l("Released (day off cancelled)"),
    PlaceState.ATTENDED: _l("Came"),
    PlaceState.NO_SHOW: _l("Did not come"),
}


class Signup(HeldPlace, StateMachine, db.Model):
    """A volunteer's place in a shift: the states of any held place (capacity.PLACE_TRANSITIONS)."""
    __tablename__ = "shift_signups"
    __table_args__ = (UniqueConstraint("shift_id", "user_id"),
                      CheckConstraint("minutes IS NULL OR (minutes >= 0 AND minutes <= 1440)", name="minutes"))
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"), index=True)
    signed_up_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Hours: the shift's planned hours unless the lead wrote others; counted once staff approve them.
    minutes: Mapped[int | None] = mapped_column(Integer)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    shift = relationship("Shift", lazy="joined")
    TRANSITIONS = PLACE_TRANSITIONS

    @property
    def label(self):
        return SIGNUP_LABELS[PlaceState(self.state)]

    @property
    def can_cancel(self) -> bool:
        return self.can(PlaceState.CANCELLED) and not self.shift.is_past


class ShiftWait(WaitingPlace, StateMachine, db.Model):
    __tablename__ = "shift_waitlist"
    __table_args__ = (UniqueConstraint("shift_id", "user_id"),)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"), index=True)

    shift = relationship("Shift", lazy="joined")
    TRANSITIONS = WAIT_TRANSITIONS


class Endorsement(db.Model):
    """An organisation stands behind a campaign: its leader chose whether its name is shown publicly and
    how many members it commits."""
    __tablename__ = "campaign_endorsements"
    __table_args__ = (UniqueConstraint("campaign_id", "organisation_id"),
                      CheckConstraint("committed >= 0", name="committed"))
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    show_name: Mapped[bool] = mapped_column(Boolean, default=False)
    committed: Mapped[int] = mapped_column(Integer, default=0)
    endorsed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation = relationship("Organisation", lazy="joined")


class MediaConsent(db.Model):
    """Per campaign, what a volunteer lets be shown of her: in photos or not, named or not, and the
    pseudonym public pages use for her. No row: no photos, not named."""
    __tablename__ = "campaign_media_consents"
    __table_args__ = (UniqueConstraint("campaign_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    photos: Mapped[bool] = mapped_column(Boolean, default=False)
    named: Mapped[bool] = mapped_column(Boolean, default=False)
    pseudonym: Mapped[str] = mapped_column(String(40), default="")
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
