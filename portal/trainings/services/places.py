"""A training's seats, as portal/capacity.py takes, frees and offers them."""
from __future__ import annotations

from portal.audit import record
from portal.capacity import Places
from portal.notifications.services import queue
from portal.trainings.models import Booking, SessionState, TrainingSession, WaitlistEntry
from portal.trainings.services.access import can_act_on, can_book_for
from portal.trainings.services.errors import (
    AlreadyBooked, AlreadyWaiting, NotFullYet, OfferGone, SessionFull, TooLateToCancel,
)
from portal.trainings.services.rules import check_bookable, check_clash, check_prerequisites
from portal.trainings.services.texts import _title, _when, _where


def _still_offered(ts: TrainingSession) -> bool:
    return ts.state == SessionState.SCHEDULED and not ts.is_past


def _offered(entry: WaitlistEntry, ts: TrainingSession) -> None:
    record(None, "waitlist.offered", entry, {"session_id": ts.id})
    queue(entry.user, "seat_offered", course=_title(ts), when=_when(ts.starts_at), where=_where(ts),
          until=_when(entry.offer_expires_at))


def _expired(entry: WaitlistEntry, ts: TrainingSession) -> None:
    record(None, "waitlist.offer_expired", entry, {"session_id": ts.id})
    queue(entry.user, "offer_expired", course=_title(ts))


def _check(ts: TrainingSession, person, org, waiting: bool) -> None:
    check_bookable(ts, person, org, for_waitlist=waiting)
    check_prerequisites(ts, person)


def _confirmed(person, ts: TrainingSession) -> None:
    queue(person, "booking_confirmed", course=_title(ts), when=_when(ts.starts_at), where=_where(ts))


def _queued(entry: WaitlistEntry, ts: TrainingSession, number: int) -> None:
    queue(entry.user, "waitlist_joined", course=_title(ts), when=_when(ts.starts_at), where=_where(ts), number=number)


SEATS = Places(row=TrainingSession, entry=WaitlistEntry, parent="session_id", full=SessionFull,
               still_offered=_still_offered, offered=_offered, expired=_expired, holder=Booking,
               already=AlreadyBooked, already_waiting=AlreadyWaiting, not_full=NotFullYet, offer_gone=OfferGone,
               holding="booking", waiting_as="waitlist", by="booked_by_id",
               may_take=can_book_for,
               may_change=can_act_on, check=_check, clash=check_clash, confirmed=_confirmed, queued=_queued,
               late=lambda ts: ts.deadline_passed, started=TooLateToCancel)
