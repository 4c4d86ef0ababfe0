"""Time in one place: stored as UTC, shown in Asia/Hong_Kong by Flask-Babel."""
from datetime import datetime, timedelta, timezone

HK = timezone(timedelta(hours=8))  # Asia/Hong_Kong keeps no daylight saving time


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def aware(dt: datetime | None) -> datetime | None:
    """SQLite gives datetimes back without a zone; they were stored as UTC."""
    return dt if dt is None or dt.tzinfo else dt.replace(tzinfo=timezone.utc)
