"""Calendar files (.ics) for bookings and the private calendar feed.

A separate module rather than part of queries.py or routes.py: it turns bookings into iCalendar
text with the icalendar library and is used by two routes. An event says only what a shared phone
may show: the training's title, its time and its venue; never the person's name or organisation.
"""
from __future__ import annotations

from datetime import timedelta

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy import select

from portal.clock import utcnow
from portal.extensions import db
from portal.trainings.models import Booking, BookingState, SessionState, TrainingSession

PRODID = "-//Mission For Migrant Workers//Mission Portal//EN"
FEED_PAST = timedelta(days=90)  # the feed keeps the last three months, so a calendar does not lose them at once


def _event(booking: Booking) -> Event:
    ts = booking.session
    cancelled = ts.state == SessionState.CANCELLED or not booking.active
    return Event.new(
        uid=f"booking-{booking.id}@mission-portal", stamp=utcnow(), start=ts.starts_at, end=ts.ends_at,
        summary=ts.course.title, location=ts.venue or _("Your organisation's meeting place"),
        url=url_for("trainings.show", session_id=ts.id, _external=True),
        status="CANCELLED" if cancelled else "CONFIRMED", sequence=ts.version)


def booking_ics(booking: Booking, locale: str) -> bytes:
    with force_locale(locale):
        cal = Calendar.new(prodid=PRODID, method="PUBLISH", subcomponents=[_event(booking)])
    return cal.to_ical()


def feed_ics(user, locale: str) -> bytes:
    """Her bookings from three months ago on: held ones confirmed, cancelled sessions marked cancelled."""
    since = utcnow() - FEED_PAST
    bookings = db.session.scalars(
        select(Booking).join(TrainingSession, Booking.session_id == TrainingSession.id)
        .where(Booking.user_id == user.id, TrainingSession.starts_at >= since,
               Booking.state.in_([BookingState.BOOKED, BookingState.ATTENDED, BookingState.NO_SHOW])
               | (TrainingSession.state == SessionState.CANCELLED))
        .order_by(TrainingSession.starts_at).limit(500)).all()
    with force_locale(locale):
        cal = Calendar.new(prodid=PRODID, name=_("My trainings"), refresh_interval=timedelta(hours=6),
                           subcomponents=[_event(b) for b in bookings])
    return cal.to_ical()
