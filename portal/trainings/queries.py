"""Reading trainings: the catalogue (Sundays first) and what a person holds. Queries per page stay
constant whatever the number of rows."""
from __future__ import annotations

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import lazyload, selectinload

from portal import capacity
from portal.accounts.roles import Power, can
from portal.catalogue import (  # noqa: F401  (next_sundays, grouped, hk_date: read here by the trainings too)
    HK, Catalogue, grouped, hk_date, next_sundays, on_day, sundays_first,
)
from portal.clock import utcnow
from portal.extensions import db
from portal.trainings.services.places import SEATS
from portal.organisations.models import Membership, MemberState, Organisation
from portal.trainings.models import (
    HOLDS_SEAT, Booking, BookingState, Course, CourseText, SessionState, TrainingSession, WaitlistEntry, WaitState,
    best_text,
)
from portal.web import contains

def visible_sessions(user, programme="", language="", seats=False, q="", day=None):
    """Upcoming sessions this person may see, filtered; outreach sessions only for their organisation (the
    SQL twin of services.can_see_session).

    No join: the course's filters are subqueries, so that the database can walk the sessions in the order
    of the index on (state, starts_at) and stop after a page."""
    query = (select(TrainingSession)
             .where(TrainingSession.state == SessionState.SCHEDULED, TrainingSession.starts_at > utcnow()))
    if can(user, Power.RUN_TRAININGS):
        pass
    elif getattr(user, "is_authenticated", False):
        mine = select(Membership.organisation_id).where(Membership.user_id == user.id,
                                                        Membership.state == MemberState.ACTIVE)
        query = query.where(or_(TrainingSession.organisation_id.is_(None), TrainingSession.organisation_id.in_(mine)))
    else:
        query = query.where(TrainingSession.organisation_id.is_(None))
    if programme or language:
        courses = select(Course.id)
        if programme:
            courses = courses.where(Course.programme == programme)
        if language:
            courses = courses.where(Course.language == language)
        query = query.where(TrainingSession.course_id.in_(courses))
    if day is not None:  # that day in Hong Kong
        query = query.where(on_day(TrainingSession, day))
    if seats:
        query = query.where(TrainingSession.taken < TrainingSession.capacity)
    if q:
        query = query.where(exists(select(CourseText.id).where(
            CourseText.course_id == TrainingSession.course_id, contains(CourseText.title, q))))
    return query


# What a catalogue card needs beyond the session: the organisation of an outreach session (only its name:
# not the person who registered it, which the relationship would join otherwise). The course's title comes
# from `titles()`: loading the courses and all their texts as objects cost 2 of the catalogue's 12 ms.
CARD_OPTIONS = (lazyload(TrainingSession.course),
                selectinload(TrainingSession.organisation).lazyload(Organisation.created_by))


def catalogue(user, **filters) -> Catalogue:
    """The sessions on the next four Sundays first (by time), then the rest; paged by portal.web.paginate."""
    return sundays_first(visible_sessions(user, **filters), TrainingSession, CARD_OPTIONS)


def titles(course_ids, locale: str) -> dict[int, str]:
    """Each course's title as Course.text chooses it (the reader's language, else English, else any)."""
    if not course_ids:
        return {}
    by_course: dict[int, dict[str, str]] = {}
    for course_id, loc, title in db.session.execute(select(CourseText.course_id, CourseText.locale, CourseText.title)
                                                     .where(CourseText.course_id.in_(set(course_ids)))
                                                     .order_by(CourseText.id)):
        by_course.setdefault(course_id, {})[loc] = title
    return {course_id: best_text(texts, locale) for course_id, texts in by_course.items()}


def course_languages(course_ids) -> dict[int, str]:
    """The language each course is given in (for the cards' language tags)."""
    if not course_ids:
        return {}
    return dict(db.session.execute(select(Course.id, Course.language).where(Course.id.in_(set(course_ids)))).all())


def waiting_counts(ids: list[int]) -> dict[int, int]:
    return capacity.waiting_counts(SEATS, ids)


def holdings(user, ids: list[int]) -> dict[int, str]:
    """What the person holds in each listed row: "booked", "offered" or "waiting"."""
    return capacity.holdings(SEATS, user.id if getattr(user, "is_authenticated", False) else None, ids)


def my_bookings(user):
    return db.session.scalars(select(Booking).join(TrainingSession, Booking.session_id == TrainingSession.id)
                              .where(Booking.user_id == user.id)
                              .options(selectinload(Booking.session).selectinload(TrainingSession.course)
                                       .selectinload(Course.texts))
                              .order_by(TrainingSession.starts_at.desc()).limit(200)).unique().all()


def my_bookings_by_kind(user):
    """Her bookings as she looks for them: what is coming (soonest first), what is past (latest first), and
    what was cancelled or released, or whose session was cancelled (latest first)."""
    coming, done, cancelled = [], [], []
    for b in my_bookings(user):
        if b.state in (BookingState.CANCELLED, BookingState.RELEASED) or b.session.state == SessionState.CANCELLED:
            cancelled.append(b)
        elif b.session.is_past or b.state != BookingState.BOOKED:
            done.append(b)
        else:
            coming.append(b)
    return coming[::-1], done, cancelled


def my_waiting(user):
    return db.session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.user_id == user.id, WaitlistEntry.state.in_([WaitState.WAITING, WaitState.OFFERED]))
        .order_by(WaitlistEntry.joined_at)).unique().all()


def org_bookings(org_id: int):
    """The organisation's bookings of its accepted members (a former member's are hers alone: the SQL twin
    of services.can_act_on)."""
    members = select(Membership.user_id).where(Membership.organisation_id == org_id,
                                               Membership.state == MemberState.ACTIVE)
    return db.session.scalars(select(Booking).join(TrainingSession, Booking.session_id == TrainingSession.id)
                              .where(Booking.organisation_id == org_id, Booking.user_id.in_(members))
                              .options(selectinload(Booking.session).selectinload(TrainingSession.course)
                                       .selectinload(Course.texts))
                              .order_by(TrainingSession.starts_at.desc()).limit(500)).unique().all()


def org_waiting(org_id: int):
    """Her organisation's members on the waiting lists of trainings to come, put there by their leader
    (the twin of org_bookings), each with her number in line (None: a place is held for her)."""
    members = select(Membership.user_id).where(Membership.organisation_id == org_id,
                                               Membership.state == MemberState.ACTIVE)
    return capacity.org_lines(SEATS, org_id, members, options=lambda model: [
        selectinload(model.session).selectinload(TrainingSession.course).selectinload(Course.texts)])[1]


def attendance_list(session_id: int):
    return db.session.scalars(select(Booking).where(
        Booking.session_id == session_id, Booking.state.in_(HOLDS_SEAT)).order_by(Booking.id)).unique().all()
