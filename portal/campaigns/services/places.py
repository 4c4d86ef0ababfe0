"""A shift's places, as portal/capacity.py takes, frees and offers them (as it does a training's seats), with
the campaigns' rules: who may take one, when a shift is open, no two places at once, what she is told."""
from __future__ import annotations

from portal.agenda import refuse_if_busy
from portal.audit import record
from portal.campaigns.models import Shift, ShiftState, ShiftWait, Signup
from portal.campaigns.services.access import can_act_on, can_sign_up_for, may_join
from portal.campaigns.services.errors import (
    AlreadySignedUp, AlreadyWaiting, NotEndorsed, NotFullYet, OfferGone, ShiftClosed, ShiftFull, ShiftStarted,
)
from portal.campaigns.services.texts import bring, when, where
from portal.capacity import Places
from portal.notifications.services import queue


def _still_offered(shift: Shift) -> bool:
    return shift.state == ShiftState.SCHEDULED and not shift.is_past


def _offered(entry: ShiftWait, shift: Shift) -> None:
    record(None, "shift_wait.offered", entry, {"shift_id": shift.id})
    queue(entry.user, "shift_offered", when=when(shift.starts_at), where=where(shift),
          until=when(entry.offer_expires_at))


def _expired(entry: ShiftWait, shift: Shift) -> None:
    record(None, "shift_wait.offer_expired", entry, {"shift_id": shift.id})
    queue(entry.user, "shift_offer_expired", when=when(shift.starts_at), where=where(shift))


def _check(shift: Shift, person, org, waiting: bool) -> None:
    if not shift.open_for_signup:
        raise ShiftClosed()
    if not may_join(person.id, shift.campaign):
        raise NotEndorsed()


def _clash(shift: Shift, person) -> None:
    refuse_if_busy(person.id, shift.starts_at, shift.ends_at, shift_id=shift.id)


def _confirmed(person, shift: Shift) -> None:
    queue(person, "shift_confirmed", when=when(shift.starts_at), where=where(shift), bring=bring(shift))


def _queued(entry: ShiftWait, shift: Shift, number: int) -> None:
    queue(entry.user, "shift_waitlist_joined", when=when(shift.starts_at), where=where(shift), number=number)


SHIFT_PLACES = Places(row=Shift, entry=ShiftWait, parent="shift_id", full=ShiftFull, still_offered=_still_offered,
                      offered=_offered, expired=_expired, holder=Signup, already=AlreadySignedUp,
                      already_waiting=AlreadyWaiting, not_full=NotFullYet, offer_gone=OfferGone,
                      holding="signup", waiting_as="shift_wait", by="signed_up_by_id", may_take=can_sign_up_for,
                      may_change=can_act_on, check=_check, clash=_clash, confirmed=_confirmed, queued=_queued,
                      late=lambda shift: shift.late, started=ShiftStarted)
