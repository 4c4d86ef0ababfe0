"""A person's agenda across domains: what she holds a place in (a training's seat, a campaign shift), so
that one place is never taken over another at the same time. Trainings and campaigns both ask `busy()`."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.capacity import PlaceState
from portal.clock import today_hk, utcnow
from portal.extensions import db
from portal.web import DomainError
from portal.web.templating import InLocale, moment


class Busy(DomainError):
    """She holds a place elsewhere at that time: the message says where and when, in her language."""

    def __init__(self, what: str, starts_at: datetime):
        super().__init__(_l("This person already has a place at that time: %(what)s, %(when)s.",
                            what=what, when=moment(starts_at)))
        self.what, self.starts_at = what, starts_at


def busy(person_id: int, starts_at: datetime, ends_at: datetime, *, session_id: int | None = None,
         shift_id: int | None = None):
    """What she is booked or signed up for that overlaps [starts_at, ends_at) (not the session or shift
    asked about): ("training", session) or ("shift", shift), or None."""
    from portal.campaigns.models import Shift, ShiftState, Signup
    from portal.trainings.models import Booking, SessionState, TrainingSession
    ts = db.session.scalar(select(TrainingSession).join(Booking, Booking.session_id == TrainingSession.id).where(
        Booking.user_id == person_id, Booking.state == PlaceState.BOOKED, TrainingSession.id != (session_id or 0),
        TrainingSession.state == SessionState.SCHEDULED,
        TrainingSession.starts_at < ends_at, TrainingSession.ends_at > starts_at).limit(1))
    if ts is not None:
        return "training", ts
    shift = db.session.scalar(select(Shift).join(Signup, Signup.shift_id == Shift.id).where(
        Signup.user_id == person_id, Signup.state == PlaceState.BOOKED, Shift.id != (shift_id or 0),
        Shift.state == ShiftState.SCHEDULED, Shift.starts_at < ends_at, Shift.ends_at > starts_at).limit(1))
    if shift is not None:
        return "shift", shift
    return None


def refuse_if_busy(person_id: int, starts_at: datetime, ends_at: datetime, **skip) -> None:
    """Busy, naming what she holds at that time, or nothing."""
    found = busy(person_id, starts_at, ends_at, **skip)
    if found is None:
        return
    kind, obj = found
    if kind == "training":
        what = InLocale(lambda: str(_l("the training %(title)s", title=obj.course.title)))
    else:
        what = InLocale(lambda: str(_l("a shift of %(campaign)s at %(place)s", campaign=obj.campaign.title,
                                     place=obj.place)))
    raise Busy(what, obj.starts_at)


# --- what needs her now (the home page after sign-in) ---

SOON = timedelta(days=7)  # a booking or shift within a week: this Sunday's
ANSWERED_LATELY = timedelta(days=14)  # an answer to her organisation's request for a training


@dataclass
class NeedsNow:
    """What she should see first on her home page, each with the one button it needs."""
    offers: list = field(default_factory=list)    # (kind, waiting entry): a place held for her, until when
    soon: list = field(default_factory=list)      # (kind, starts_at, title or role, place, id): within a week
    joins: list = field(default_factory=list)     # (organisation, count): people waiting for her OK
    answers: list = field(default_factory=list)   # outreach requests of her organisations answered lately
    # Referrals, by their reference and dates only (plain columns: nothing of a case is read or decrypted):
    cases: list = field(default_factory=list)     # (ref, days left): her open cases with a date within a week
    drafts: list = field(default_factory=list)    # refs of her organisations' referrals started, not sent
    to_triage: int = 0                            # referrals sent to the Mission, waiting for triage

    def __bool__(self):
        return bool(self.offers or self.soon or self.joins or self.answers or self.cases or self.drafts
                    or self.to_triage)


def needs_now(user, memberships) -> NeedsNow:
    """A handful of queries, the same number whatever she holds (her own rows, a week ahead, her
    organisations' waiting members and answered requests)."""
    from portal.campaigns.models import Shift, ShiftState, ShiftWait, Signup
    from portal.capacity import WaitState
    from portal.organisations.models import Membership, MemberState
    from portal.trainings.models import Booking, Course, OutreachRequest, OutreachState, SessionState, TrainingSession
    from portal.trainings.models import WaitlistEntry
    now = utcnow()
    out = NeedsNow()
    for kind, model in (("training", WaitlistEntry), ("shift", ShiftWait)):
        out.offers += [(kind, e) for e in db.session.scalars(select(model).where(
            model.user_id == user.id, model.state == WaitState.OFFERED, model.offer_expires_at > now)
            .order_by(model.offer_expires_at))]
    out.offers.sort(key=lambda item: item[1].offer_expires_at)  # the one that goes soonest first
    for b in db.session.scalars(select(Booking).join(TrainingSession, Booking.session_id == TrainingSession.id).where(
            Booking.user_id == user.id, Booking.state == PlaceState.BOOKED,
            TrainingSession.state == SessionState.SCHEDULED, TrainingSession.starts_at > now,
            TrainingSession.starts_at < now + SOON)
            .options(selectinload(Booking.session).selectinload(TrainingSession.course).selectinload(Course.texts))):
        out.soon.append(("training", b.session.starts_at, b.session.course.title, b.session.venue, b.session_id))
    for s in db.session.scalars(select(Signup).join(Shift, Signup.shift_id == Shift.id).where(
            Signup.user_id == user.id, Signup.state == PlaceState.BOOKED, Shift.state == ShiftState.SCHEDULED,
            Shift.starts_at > now, Shift.starts_at < now + SOON).options(selectinload(Signup.shift))):
        out.soon.append(("shift", s.shift.starts_at, s.shift.role, s.shift.place, s.shift_id))
    out.soon.sort(key=lambda item: item[1])
    managed = {m.organisation_id: m.organisation for m in memberships if m.is_manager}
    if managed:
        counts = db.session.execute(select(Membership.organisation_id, func.count()).where(
            Membership.organisation_id.in_(managed), Membership.state == MemberState.PENDING)
            .group_by(Membership.organisation_id)).all()
        out.joins = [(managed[org_id], n) for org_id, n in counts if n]
        out.answers = db.session.scalars(select(OutreachRequest).where(
            OutreachRequest.organisation_id.in_(managed),
            OutreachRequest.state.in_([OutreachState.ACCEPTED, OutreachState.DECLINED]),
            OutreachRequest.decided_at > now - ANSWERED_LATELY).order_by(OutreachRequest.decided_at.desc())).all()
    _referrals(user, managed, out)
    return out


def _referrals(user, managed, out: NeedsNow) -> None:
    """A caseworker's cases whose next date is within a week (or passed), the new referrals a supervisor
    triages, a leader's referrals started and not sent. At most three queries, of plain columns."""
    from portal.accounts.roles import Power, can
    from portal.referrals.models import OPEN_STATES, Referral, ReferralState
    if can(user, Power.WORK_ASSIGNED_CASES):
        today = today_hk()
        out.cases = [(ref, (day - today).days) for ref, day in db.session.execute(
            select(Referral.ref, Referral.deadline).where(
                Referral.caseworker_id == user.id, Referral.state.in_(OPEN_STATES),
                Referral.deadline <= today + SOON).order_by(Referral.deadline).limit(5))]
    if can(user, Power.WORK_EVERY_CASE):
        out.to_triage = db.session.scalar(select(func.count()).select_from(Referral).where(
            Referral.state == ReferralState.SUBMITTED))
    if managed:
        out.drafts = db.session.scalars(select(Referral.ref).where(
            Referral.organisation_id.in_(managed), Referral.state == ReferralState.DRAFT)
            .order_by(Referral.id.desc()).limit(3)).all()
