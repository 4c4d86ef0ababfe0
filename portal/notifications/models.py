from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import UTCDateTime, utcnow
from portal.extensions import db


class OutboxMessage(db.Model):
    """A message to a person, written in the same transaction as its cause, sent later by the worker."""
    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # email | sms | whatsapp
    to_address: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    # queued -> sent -> delivered, or failed (permanently, or after MAX_ATTEMPTS); "delivered" and a late
    # "failed" come from the gateway's status callback (portal/notifications/routes.py).
    status: Mapped[str] = mapped_column(String(12), default="queued", server_default="queued")
    next_try_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # after a temporary failure
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)  # the gateway's id for the message
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # WhatsApp only: the approved template and its named parameters, as JSON ({"name": ..., "params": {...}},
    # rendered in her language). `body` keeps the same message as text: sent by SMS if WhatsApp fails.
    template: Mapped[str | None] = mapped_column(Text)


class MessageChoice(db.Model):
    """How she wants the messages of one topic (messages.TOPICS): "sms", "whatsapp", "email" or "none". No
    row: as the portal reaches her (User.contact_channel). Security codes are no topic: they always go."""
    __tablename__ = "message_choices"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(20), primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
