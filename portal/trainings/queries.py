"""Reading trainings: the catalogue (Sundays first) and what a person holds. Queries per page stay
constant whatever the number of rows."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from sqlalchemy import and_, case, exists, false, func, or_, select
from sqlalchemy.orm import selectinload

from portal.clock import utcnow
from portal.extensions import db
from portal.organisations.models import Membership, MemberState
from portal.trainings.models import (
    HOLDS_SEAT, Booking, Course, CourseText, SessionState, TrainingSession, WaitlistEntry, WaitState,
)

HK = timezone(timedelta(hours=8))
SUNDAYS_AHEAD = 4


def next_sundays(now: datetime, n: int = SUNDAYS_AHEAD) -> list[tuple[datetime, datetime]]:
    """The next `n` Sundays in Hong Kong (today too, if it is one), as UTC ranges."""
    today = now.astimezone(HK).date()
    first = today + timedelta(days=(6 - today.weekday()) % 7)
    out = []
    for i in range(n):
        day = first + timedelta(weeks=i)
        start = datetime.combine(day, time(0), HK).astimezone(timezone.utc)
        out.append((start, start + timedelta(days=1)))
    return out


def visible_sessions(user, programme="", language="", seats=False, q=""):
    """Upcoming sessions this person may see, filtered; outreach sessions only for their organisation."""
    query = (select(TrainingSession).join(Course, TrainingSession.course_id == Course.id)
             .where(TrainingSession.state == SessionState.SCHEDULED, TrainingSession.starts_at > utcnow())
             .options(selectinload(TrainingSession.course).selectinload(Course.texts)))
    if getattr(user, "is_authenticated", False) and user.is_mission:
        pass
    elif getattr(user, "is_authenticated", False):
        mine = select(Membership.organisation_id).where(Membership.user_id == user.id,
                                                        Membership.state == MemberState.ACTIVE)
        query = query.where(or_(TrainingSession.organisation_id.is_(None), TrainingSession.organisation_id.in_(mine)))
    else:
        query = query.where(TrainingSession.organisation_id.is_(None))
    if programme:
        query = query.where(Course.programme == programme)
    if language:
        query = query.where(Course.language == language)
    if seats:
        query = query.where(TrainingSession.taken < TrainingSession.capacity)
    if q:
        escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(exists(select(CourseText.id).where(
            CourseText.course_id == Course.id, func.lower(CourseText.title).like(f"%{escaped}%", escape="\\"))))
    return query


def catalogue(user, **filters):
    """One paginated list: sessions on the next four Sundays first (by time), then the rest."""
    ranges = next_sundays(utcnow())
    on_sundays = or_(*[and_(TrainingSession.starts_at >= a, TrainingSession.starts_at < b) for a, b in ranges]) \
        if ranges else false()
    first = case((on_sundays, 0), else_=1)
    return visible_sessions(user, **filters).order_by(first, TrainingSession.starts_at, TrainingSession.id)


def grouped(sessions) -> list[tuple[str, object, list]]:
    """A page's sessions in sections: ("sunday", date, sessions) for each of the next Sundays, then
    ("other", None, sessions)."""
    sundays = {hk_date(a) for a, _ in next_sundays(utcnow())}
    sections: list = []
    for ts in sessions:
        day = hk_date(ts.starts_at)
        key = ("sunday", day) if day in sundays else ("other", None)
        if not sections or sections[-1][:2] != key:
            sections.append((*key, []))
        sections[-1][2].append(ts)
    return sections


def hk_date(dt: datetime):
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).astimezone(HK).date()


def waiting_counts(session_ids: list[int]) -> dict[int, int]:
    if not session_ids:
        return {}
    rows = db.session.execute(select(WaitlistEntry.session_id, func.count()).where(
        WaitlistEntry.session_id.in_(session_ids), WaitlistEntry.state == WaitState.WAITING)
        .group_by(WaitlistEntry.session_id))
    return dict(rows.all())


def holdings(user, session_ids: list[int]) -> dict[int, str]:
    """What the person holds in each listed session: "booked", "offered" or "waiting"."""
    if not getattr(user, "is_authenticated", False) or not session_ids:
        return {}
    out = {sid: "booked" for sid in db.session.scalars(select(Booking.session_id).where(
        Booking.user_id == user.id, Booking.session_id.in_(session_ids), Booking.state.in_(HOLDS_SEAT)))}
    for sid, state in db.session.execute(select(WaitlistEntry.session_id, WaitlistEntry.state).where(
            WaitlistEntry.user_id == user.id, WaitlistEntry.session_id.in_(session_ids),
            WaitlistEntry.state.in_([WaitState.WAITING, WaitState.OFFERED]))):
        out.setdefault(sid, state)
    return out


def my_bookings(user):
    return db.session.scalars(select(Booking).join(TrainingSession, Booking.session_id == TrainingSession.id)
                              .where(Booking.user_id == user.id)
                              .options(selectinload(Booking.session).selectinload(TrainingSession.course)
                                       .selectinload(Course.texts))
                              .order_by(TrainingSession.starts_at.desc()).limit(200)).unique().all()


def my_waiting(user):
    return db.session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.user_id == user.id, WaitlistEntry.state.in_([WaitState.WAITING, WaitState.OFFERED]))
        .order_by(WaitlistEntry.joined_at)).unique().all()


def org_bookings(org_id: int):
    return db.session.scalars(select(Booking).join(TrainingSession, Booking.session_id == TrainingSession.id)
                              .where(Booking.organisation_id == org_id)
                              .options(selectinload(Booking.session).selectinload(TrainingSession.course)
                                       .selectinload(Course.texts))
                              .order_by(TrainingSession.starts_at.desc()).limit(500)).unique().all()


def attendance_list(session_id: int):
    return db.session.scalars(select(Booking).where(
        Booking.session_id == session_id, Booking.state.in_(HOLDS_SEAT)).order_by(Booking.id)).unique().all()
