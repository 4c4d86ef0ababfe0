"""A training's seats, as portal/capacity.py takes, frees and offers them."""
from __future__ import annotations

from portal.audit import record
from portal.capacity import Places
from portal.notifications.services import queue
from portal.trainings.models import Booking, SessionState, TrainingSession, WaitlistEntry
from portal.trainings.services.errors import AlreadyBooked, AlreadyWaiting, NotFullYet, OfferGone, SessionFull
from portal.trainings.services.texts import _title, _when


def _still_offered(ts: TrainingSession) -> bool:
    return ts.state == SessionState.SCHEDULED and not ts.is_past


def _offered(entry: WaitlistEntry, ts: TrainingSession) -> None:
    record(None, "waitlist.offered", entry, {"session_id": ts.id})
    queue(entry.user, "seat_offered", course=_title(ts), when=_when(ts.starts_at), until=_when(entry.offer_expires_at))


def _expired(entry: WaitlistEntry, ts: TrainingSession) -> None:
    record(None, "waitlist.offer_expired", entry, {"session_id": ts.id})
    queue(entry.user, "offer_expired", course=_title(ts))


SEATS = Places(row=TrainingSession, entry=WaitlistEntry, parent="session_id", full=SessionFull,
               still_offered=_still_offered, offered=_offered, expired=_expired, holder=Booking,
               already=AlreadyBooked, already_waiting=AlreadyWaiting, not_full=NotFullYet, offer_gone=OfferGone)
