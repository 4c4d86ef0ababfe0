"""Reading trainings: the catalogue (Sundays first) and what a person holds. Queries per page stay
constant whatever the number of rows."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from sqlalchemy import and_, exists, false, func, not_, or_, select, union_all
from sqlalchemy.orm import lazyload, selectinload

from portal.accounts.roles import Power, can
from portal.clock import HK, utcnow
from portal.extensions import db
from portal.hooks import SlicedPagination
from portal.organisations.models import Membership, MemberState, Organisation
from portal.trainings.models import (
    HOLDS_SEAT, Booking, Course, CourseText, SessionState, TrainingSession, WaitlistEntry, WaitState, best_text,
)
from portal.web import contains

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
        start = datetime.combine(day, time(0), HK).astimezone(timezone.utc)
        query = query.where(TrainingSession.starts_at >= start, TrainingSession.starts_at < start + timedelta(days=1))
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


class Catalogue:
    """The catalogue in its order: sessions on the next four Sundays first (by time), then the rest (by
    time). `portal.web.paginate` pages it with `paginate()`.

    One ORDER BY over a CASE ("on one of the next Sundays?") would make the database read and sort every
    upcoming session for each page. Instead the two parts are each read in index order, with their own
    LIMIT and OFFSET, in one UNION ALL, after one count that says how many sessions each part has."""

    def __init__(self, visible, ranges: list[tuple[datetime, datetime]]):
        self.visible, self.ranges = visible, ranges
        if ranges:
            starts = TrainingSession.starts_at
            # The bounds of all the ranges first: one index range for the database to walk.
            self.on_sundays = and_(starts >= ranges[0][0], starts < ranges[-1][1],
                                   or_(*[and_(starts >= a, starts < b) for a, b in ranges]))
        else:
            self.on_sundays = false()

    def counts(self) -> tuple[int, int]:
        """(all the sessions, those on the next Sundays), in one statement. Two counts rather than one with a
        CASE: each is read from the index on (state, starts_at, organisation_id) alone, the second from the
        Sundays' range only."""
        total = self.visible.with_only_columns(func.count()).scalar_subquery()
        sundays = self.visible.where(self.on_sundays).with_only_columns(func.count()).scalar_subquery()
        row = db.session.execute(select(total, sundays)).one()
        return int(row[0]), int(row[1])

    def slice(self, offset: int, limit: int, on_sundays: int) -> list[TrainingSession]:
        """`limit` sessions from `offset` in the catalogue's order, knowing how many are on the Sundays."""
        order = (TrainingSession.starts_at, TrainingSession.id)
        first_n = max(0, min(limit, on_sundays - offset))
        first = self.visible.where(self.on_sundays).order_by(*order) \
            .limit(first_n).offset(min(offset, on_sundays))
        rest = self.visible.where(not_(self.on_sundays)).order_by(*order) \
            .limit(limit - first_n).offset(max(0, offset - on_sundays))
        # Each part in a subquery of its own: SQLite takes no ORDER BY or LIMIT on a member of a UNION.
        parts = union_all(select(first.subquery()), select(rest.subquery()))
        sessions = db.session.scalars(select(TrainingSession).from_statement(parts).options(*CARD_OPTIONS)).all()
        # A UNION ALL promises no order: put them back in the catalogue's.
        return sorted(sessions, key=lambda ts: (not self._on_a_sunday(ts.starts_at), ts.starts_at,
                                                ts.id))

    def _on_a_sunday(self, starts_at: datetime) -> bool:
        return any(a <= starts_at < b for a, b in self.ranges)

    def paginate(self, page: int, per_page: int) -> SlicedPagination:
        return SlicedPagination(page=page, per_page=per_page, error_out=False, fetch=self._fetch)

    def _fetch(self, offset: int, limit: int) -> tuple[list, int]:
        total, on_sundays = self.counts()
        return self.slice(offset, limit, on_sundays), total


def catalogue(user, **filters) -> Catalogue:
    """The sessions on the next four Sundays first (by time), then the rest; paged by portal.web.paginate."""
    return Catalogue(visible_sessions(user, **filters), next_sundays(utcnow()))


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
    """The organisation's bookings of its accepted members (a former member's are hers alone: the SQL twin
    of services.can_act_on)."""
    members = select(Membership.user_id).where(Membership.organisation_id == org_id,
                                               Membership.state == MemberState.ACTIVE)
    return db.session.scalars(select(Booking).join(TrainingSession, Booking.session_id == TrainingSession.id)
                              .where(Booking.organisation_id == org_id, Booking.user_id.in_(members))
                              .options(selectinload(Booking.session).selectinload(TrainingSession.course)
                                       .selectinload(Course.texts))
                              .order_by(TrainingSession.starts_at.desc()).limit(500)).unique().all()


def attendance_list(session_id: int):
    return db.session.scalars(select(Booking).where(
        Booking.session_id == session_id, Booking.state.in_(HOLDS_SEAT)).order_by(Booking.id)).unique().all()
