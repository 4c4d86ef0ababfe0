"""Calendar files (.ics) for a training's booking or a shift's sign-up, and her private calendar feed with both.

A module of its own: it turns held places into iCalendar text with the icalendar library, for the routes of
two domains. An event says only what a shared phone may show: a training's title, its time and its venue; a
shift's role, time, place and what to bring (not the campaign: an employer may read the phone); never the
person's name or organisation.
"""
from __future__ import annotations

from datetime import timedelta

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy import select

from portal.campaigns.models import SHIFT_ROLES, Shift, ShiftState, Signup
from portal.capacity import HOLDS_PLACE
from portal.clock import utcnow
from portal.extensions import db
from portal.trainings.models import Booking, SessionState, TrainingSession

ICS = "text/calendar; charset=utf-8"
PRODID = "-//Mission For Migrant Workers//Mission Portal//EN"
FEED_PAST = timedelta(days=90)  # the feed keeps the last three months, so a calendar does not lose them at once


def _discreet(event: dict, discreet: bool) -> Event:
    """The event; in her discreet wording (User.discreet) "Mission Portal appointment" with its time and
    place, and no title, description or address of a page that would say what it is about."""
    if discreet:
        event = dict(event, summary=_("Mission Portal appointment"))
        event.pop("description", None), event.pop("url", None)
    return Event.new(**event)


def _event(booking: Booking, discreet: bool = False) -> Event:
    ts = booking.session
    cancelled = ts.state == SessionState.CANCELLED or not booking.active
    return _discreet(dict(
        uid=f"booking-{booking.id}@mission-portal", stamp=utcnow(), start=ts.starts_at, end=ts.ends_at,
        summary=ts.course.title, location=ts.venue or _("Your organisation's meeting place"),
        url=url_for("trainings.show", session_id=ts.id, _external=True),
        status="CANCELLED" if cancelled else "CONFIRMED", sequence=ts.version), discreet)


def _shift_event(signup: Signup, discreet: bool = False) -> Event:
    from portal.campaigns.services.texts import bring
    shift = signup.shift
    cancelled = shift.state == ShiftState.CANCELLED or not signup.active
    return _discreet(dict(
        uid=f"signup-{signup.id}@mission-portal", stamp=utcnow(), start=shift.starts_at, end=shift.ends_at,
        summary=_("Volunteer shift: %(role)s", role=SHIFT_ROLES.get(shift.role, shift.role)), location=shift.place,
        description=_("Bring: %(bring)s", bring=bring(shift)),
        url=url_for("campaigns.shift", shift_id=shift.id, _external=True),
        status="CANCELLED" if cancelled else "CONFIRMED", sequence=shift.version), discreet)


def booking_ics(booking: Booking, locale: str) -> bytes:
    with force_locale(locale):
        cal = Calendar.new(prodid=PRODID, method="PUBLISH",
                           subcomponents=[_event(booking, booking.user.discreet)])
    return cal.to_ical()


def signup_ics(signup: Signup, locale: str) -> bytes:
    with force_locale(locale):
        cal = Calendar.new(prodid=PRODID, method="PUBLISH",
                           subcomponents=[_shift_event(signup, signup.user.discreet)])
    return cal.to_ical()


def feed_ics(user, locale: str) -> bytes:
    """Her trainings and shifts from three months ago on, in order: held places confirmed, a cancelled
    session or shift (or a place given back) marked cancelled."""
    since = utcnow() - FEED_PAST
    bookings = db.session.scalars(
        select(Booking).join(TrainingSession, Booking.session_id == TrainingSession.id)
        .where(Booking.user_id == user.id, TrainingSession.starts_at >= since,
               Booking.state.in_(HOLDS_PLACE) | (TrainingSession.state == SessionState.CANCELLED))
        .order_by(TrainingSession.starts_at).limit(500)).all()
    signups = db.session.scalars(
        select(Signup).join(Shift, Signup.shift_id == Shift.id)
        .where(Signup.user_id == user.id, Shift.starts_at >= since,
               Signup.state.in_(HOLDS_PLACE) | (Shift.state == ShiftState.CANCELLED))
        .order_by(Shift.starts_at).limit(500)).all()
    with force_locale(locale):
        events = sorted([(b.session.starts_at, _event(b, user.discreet)) for b in bookings]
                        + [(s.shift.starts_at, _shift_event(s, user.discreet)) for s in signups],
                        key=lambda pair: pair[0])
        name = _("Mission Portal") if user.discreet else _("My trainings")
        cal = Calendar.new(prodid=PRODID, name=name, refresh_interval=timedelta(hours=6),
                           subcomponents=[e for _at, e in events])
    return cal.to_ical()
