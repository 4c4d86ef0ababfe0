"""A person's agenda across domains: what she holds a place in (a training's seat, a campaign shift), so
that one place is never taken over another at the same time. Trainings and campaigns both ask `busy()`."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.capacity import PlaceState
from portal.extensions import db
from portal.web import DomainError
from portal.web.templating import InLocale, moment


class Busy(DomainError):
    """She holds a place elsewhere at that time: the message says where and when, in her language."""

    def __init__(self, what: str, starts_at: datetime):
        super().__init__(_l("This person already has a place at that time: %(what)s, %(when)s.",
                            what=what, when=moment(starts_at)))
        self.what, self.starts_at = what, starts_at


def busy(person_id: int, starts_at: datetime, ends_at: datetime, *, session_id: int | None = None,
         shift_id: int | None = None):
    """What she is booked or signed up for that overlaps [starts_at, ends_at) (not the session or shift
    asked about): ("training", session) or ("shift", shift), or None."""
    from portal.campaigns.models import Shift, ShiftState, Signup
    from portal.trainings.models import Booking, SessionState, TrainingSession
    ts = db.session.scalar(select(TrainingSession).join(Booking, Booking.session_id == TrainingSession.id).where(
        Booking.user_id == person_id, Booking.state == PlaceState.BOOKED, TrainingSession.id != (session_id or 0),
        TrainingSession.state == SessionState.SCHEDULED,
        TrainingSession.starts_at < ends_at, TrainingSession.ends_at > starts_at).limit(1))
    if ts is not None:
        return "training", ts
    shift = db.session.scalar(select(Shift).join(Signup, Signup.shift_id == Shift.id).where(
        Signup.user_id == person_id, Signup.state == PlaceState.BOOKED, Shift.id != (shift_id or 0),
        Shift.state == ShiftState.SCHEDULED, Shift.starts_at < ends_at, Shift.ends_at > starts_at).limit(1))
    if shift is not None:
        return "shift", shift
    return None


def refuse_if_busy(person_id: int, starts_at: datetime, ends_at: datetime, **skip) -> None:
    """Busy, naming what she holds at that time, or nothing."""
    found = busy(person_id, starts_at, ends_at, **skip)
    if found is None:
        return
    kind, obj = found
    if kind == "training":
        what = InLocale(lambda: str(_l("the training %(title)s", title=obj.course.title)))
    else:
        what = InLocale(lambda: str(_l("a shift of %(campaign)s at %(place)s", campaign=obj.campaign.title,
                                     place=obj.place)))
    raise Busy(what, obj.starts_at)
