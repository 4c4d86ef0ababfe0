"""Time in one place: stored as UTC, shown in Asia/Hong_Kong by Flask-Babel."""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

HK = timezone(timedelta(hours=8))  # Asia/Hong_Kong keeps no daylight saving time


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def today_hk() -> date:
    """Today in Hong Kong: the day of every deadline, Sunday and appointment the portal counts."""
    return utcnow().astimezone(HK).date()


def aware(dt: datetime | None) -> datetime | None:
    """SQLite gives datetimes back without a zone; they were stored as UTC."""
    return dt if dt is None or dt.tzinfo else dt.replace(tzinfo=timezone.utc)


class UTCDateTime(TypeDecorator):
    """A moment, stored as UTC and always read back with its zone: SQLite keeps no zone, and comparing a
    moment read from it with now() raised (naive against aware) unless every reader remembered aware()."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value, dialect):
        return aware(value)
