"""Who did what to which record, append-only.

A row is added in the same transaction as the change it describes (the caller
commits). Rows are never updated or deleted: the ORM refuses, and database
triggers refuse both (migrations 0001 and 0008). A row of an update names the
fields that changed (`changed()`), never what they hold.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, event, inspect
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import UTCDateTime, utcnow
from portal.extensions import db


class AuditLog(db.Model):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(Integer)
    # Facts about the change (states, reason codes), never personal data.
    details: Mapped[dict | None] = mapped_column(JSON)


class AppendOnly(Exception):
    pass


@event.listens_for(AuditLog, "before_update")
@event.listens_for(AuditLog, "before_delete")
def _refuse_change(mapper, connection, target):
    raise AppendOnly("audit rows are append-only")


def changed(obj, *names: str) -> list[str]:
    """Which of `obj`'s attributes this transaction changed (before the flush): what an audit row of an update
    names. The names only, never the values, which may be personal data."""
    state = inspect(obj)
    return [name for name in names if state.attrs[name].history.has_changes()]


def record(actor, action: str, entity, details: dict | None = None) -> AuditLog:
    """Add an audit row to the current transaction. `entity` must have been flushed (has an id)."""
    if entity.id is None:
        db.session.flush()
    row = AuditLog(actor_id=getattr(actor, "id", None), action=action,
                   entity_type=entity.__tablename__, entity_id=entity.id, details=details)
    db.session.add(row)
    return row
