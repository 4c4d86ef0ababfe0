"""The rules of booking a seat or a place on the waiting list, asked by both inside the locked transaction."""
from __future__ import annotations

from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.agenda import busy, refuse_if_busy
from portal.extensions import db
from portal.trainings.models import HOLDS_SEAT, Booking, BookingState, TrainingSession
from portal.trainings.services.errors import BookingClosed, ForAnotherOrganisation, OrgCapReached, PrerequisiteMissing, TimeClash
from portal.trainings.services.access import may_attend
from portal.trainings.services.texts import _InLocale


def check_bookable(ts, person, org, for_waitlist=False):
    if not ts.open_for_booking:
        raise BookingClosed()
    if not may_attend(person.id, ts) or (org is not None and ts.organisation_id not in (None, org.id)):
        raise ForAnotherOrganisation()
    if org is not None and ts.per_org_cap and not for_waitlist:
        used = db.session.scalar(select(func.count()).select_from(Booking).where(
            Booking.session_id == ts.id, Booking.organisation_id == org.id, Booking.state.in_(HOLDS_SEAT)))
        if used >= ts.per_org_cap:
            raise OrgCapReached()


def check_prerequisites(ts, person):
    """She has attended a session of every course this one requires."""
    needed = ts.course.prerequisites
    if not needed:
        return
    done = set(db.session.scalars(select(TrainingSession.course_id).join(Booking, Booking.session_id == TrainingSession.id)
                                  .where(Booking.user_id == person.id, Booking.state == BookingState.ATTENDED,
                                         TrainingSession.course_id.in_([c.id for c in needed]))))
    missing = [c for c in needed if c.id not in done]
    if missing:
        raise PrerequisiteMissing(_l("This training is for people who have done this first: %(courses)s.",
                                     courses=_InLocale(lambda: format_list([c.title for c in missing],
                                                                           locale=str(get_locale())))))


def check_clash(ts, person):
    """Not over another place she holds (portal/agenda.py): a training, in the trainings' words; a campaign
    shift, named."""
    found = busy(person.id, ts.starts_at, ts.ends_at, session_id=ts.id)
    if found is not None and found[0] == "training":
        raise TimeClash()
    refuse_if_busy(person.id, ts.starts_at, ts.ends_at, session_id=ts.id)
