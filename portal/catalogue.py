"""A catalogue of things that happen at a time (a training's sessions, a campaign's shifts), Sundays
first: a domain workers free on Sunday read in the order they can come. Queries per page stay constant
whatever the number of rows: see `Catalogue`."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from sqlalchemy import and_, case, false, func, not_, or_, select, union_all

from portal.clock import HK, utcnow
from portal.extensions import db
from portal.hooks import SlicedPagination

SUNDAYS_AHEAD = 4
LOOK_AHEAD = 500  # rows counted past the page asked for: 25 pages of 20


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


# A staff list's parts, in the order staff need them: what is on now, what just happened (attendance to
# finish), what is planned, the rest.
NEXT_DAYS, LAST_DAYS, LATER, EARLIER = "next", "last", "later", "earlier"
PARTS = (NEXT_DAYS, LAST_DAYS, LATER, EARLIER)


def around_now(model, now: datetime):
    """ORDER BY for a staff list of rows with `starts_at`: today and the next 7 days (by time), the last 7
    days (newest first), later (by time), earlier (newest first). With `part_of` for the headings."""
    later, today, last = _bounds(now)
    s = model.starts_at
    part = case((s >= later, 2), (s >= today, 0), (s >= last, 1), else_=3)
    return [part, case((s >= today, s)), s.desc()]


def part_of(starts_at: datetime, now: datetime) -> str:
    """Which part of `around_now()` a row is in."""
    later, today, last = _bounds(now)
    if starts_at >= later:
        return LATER
    if starts_at >= today:
        return NEXT_DAYS
    return LAST_DAYS if starts_at >= last else EARLIER


def _bounds(now: datetime) -> tuple[datetime, datetime, datetime]:
    """Where the parts of around_now() begin, the one place that says so: after the next 7 days, today
    (Hong Kong), 7 days ago."""
    today = datetime.combine(now.astimezone(HK).date(), time(0), HK).astimezone(timezone.utc)
    return today + timedelta(days=8), today, today - timedelta(days=7)


def on_day(model, day):
    """That day in Hong Kong, as a condition on `model.starts_at`."""
    start = datetime.combine(day, time(0), HK).astimezone(timezone.utc)
    return and_(model.starts_at >= start, model.starts_at < start + timedelta(days=1))


class Catalogue:
    """Rows of `model` (columns id and starts_at) in the catalogue's order: those on the next four Sundays
    first (by time), then the rest (by time). `portal.web.paginate` pages it with `paginate()`.

    One ORDER BY over a CASE ("on one of the next Sundays?") would make the database read and sort every
    upcoming row for each page. Instead the two parts are each read in index order, with their own LIMIT and
    OFFSET, in one UNION ALL, after one count that says how many rows each part has."""

    def __init__(self, visible, ranges: list[tuple[datetime, datetime]], model, options=()):
        self.visible, self.ranges, self.model, self.options = visible, ranges, model, options
        if ranges:
            starts = model.starts_at
            # The bounds of all the ranges first: one index range for the database to walk.
            self.on_sundays = and_(starts >= ranges[0][0], starts < ranges[-1][1],
                                   or_(*[and_(starts >= a, starts < b) for a, b in ranges]))
        else:
            self.on_sundays = false()

    def counts(self, up_to: int) -> tuple[int, int]:
        """(all the rows, those on the next Sundays), each counted up to `up_to` + 1 rows only, in one
        statement. Two counts rather than one with a CASE: each is read from the index on (state, starts_at)
        alone, the second from the Sundays' range; and bounded, because the catalogue needs to know whether
        there is more, not that 13,000 shifts are to come (which cost PostgreSQL 12 ms a page to count)."""
        def bounded(query):
            rows = query.with_only_columns(self.model.id).limit(up_to + 1).subquery()
            return select(func.count()).select_from(rows).scalar_subquery()
        row = db.session.execute(select(bounded(self.visible), bounded(self.visible.where(self.on_sundays)))).one()
        return int(row[0]), int(row[1])

    def slice(self, offset: int, limit: int, on_sundays: int) -> list:
        """`limit` rows from `offset` in the catalogue's order, knowing how many are on the Sundays."""
        order = (self.model.starts_at, self.model.id)
        first_n = max(0, min(limit, on_sundays - offset))
        first = self.visible.where(self.on_sundays).order_by(*order) \
            .limit(first_n).offset(min(offset, on_sundays))
        rest = self.visible.where(not_(self.on_sundays)).order_by(*order) \
            .limit(limit - first_n).offset(max(0, offset - on_sundays))
        # Each part in a subquery of its own: SQLite takes no ORDER BY or LIMIT on a member of a UNION.
        parts = union_all(select(first.subquery()), select(rest.subquery()))
        rows = db.session.scalars(select(self.model).from_statement(parts).options(*self.options)).all()
        # A UNION ALL promises no order: put them back in the catalogue's.
        return sorted(rows, key=lambda r: (not self._on_a_sunday(r.starts_at), r.starts_at, r.id))

    def _on_a_sunday(self, starts_at: datetime) -> bool:
        return any(a <= starts_at < b for a, b in self.ranges)

    def paginate(self, page: int, per_page: int) -> SlicedPagination:
        return SlicedPagination(page=page, per_page=per_page, error_out=False, fetch=self._fetch)

    def _fetch(self, offset: int, limit: int) -> tuple[list, int, bool]:
        """The page's rows, the total and whether it is exact: counted up to LOOK_AHEAD rows past the page
        (beyond that, the pager says there is a next page without saying how many)."""
        up_to = offset + limit + LOOK_AHEAD
        total, on_sundays = self.counts(up_to)
        return self.slice(offset, limit, on_sundays), total, total <= up_to


def sundays_first(visible, model, options=()) -> Catalogue:
    return Catalogue(visible, next_sundays(utcnow()), model, options)


def grouped(rows) -> list[tuple[str, object, list]]:
    """A page's rows in sections: ("sunday", date, rows) for each of the next Sundays, then
    ("other", None, rows)."""
    sundays = {hk_date(a) for a, _ in next_sundays(utcnow())}
    sections: list = []
    for r in rows:
        day = hk_date(r.starts_at)
        key = ("sunday", day) if day in sundays else ("other", None)
        if not sections or sections[-1][:2] != key:
            sections.append((*key, []))
        sections[-1][2].append(r)
    return sections


def hk_date(dt: datetime):
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).astimezone(HK).date()
