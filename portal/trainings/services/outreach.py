"""Outreach: a training at the organisation's own Sunday spot, asked for by its leader."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import update

from portal.accounts.models import User
from portal.audit import record
from portal.clock import today_hk, utcnow
from portal.extensions import db
from portal.notifications.services import queue
from portal.organisations.models import Organisation, OrgState
from portal.organisations.access import can_manage
from portal.trainings.models import Course, DeclineReason, OutreachRequest, OutreachState, TrainingSession
from portal.trainings.services.access import is_staff
from portal.trainings.services.errors import NotSundays, StateChanged
from portal.trainings.services.sessions import check_times, create_session
from portal.trainings.services.texts import _InLocale, _title, _when, _where
from portal.web import NotAllowed


def can_request_outreach(user, org: Organisation) -> bool:
    return org.state == OrgState.APPROVED and can_manage(user, org)


def request_outreach(actor, org: Organisation, programme: str, language: str, expected: int,
                     sundays: list[date], note: str = "") -> OutreachRequest:
    if not can_request_outreach(actor, org):
        raise NotAllowed()
    today = today_hk()
    days = [d for d in sundays if d is not None]
    if not 2 <= len(days) <= 3 or len(set(days)) != len(days) or any(d.weekday() != 6 or d <= today for d in days):
        raise NotSundays()
    days.sort()
    req = OutreachRequest(organisation_id=org.id, requested_by_id=actor.id, programme=programme, language=language,
                          expected=expected, sunday_1=days[0], sunday_2=days[1],
                          sunday_3=days[2] if len(days) > 2 else None, note=(note or "").strip())
    db.session.add(req)
    db.session.flush()
    record(actor, "outreach.requested", req, {"organisation_id": org.id})
    db.session.commit()
    return req


def withdraw_outreach(actor, req: OutreachRequest) -> OutreachRequest:
    if not can_manage(actor, req.organisation):
        raise NotAllowed()
    _decide_outreach(req, OutreachState.WITHDRAWN, actor)
    record(actor, "outreach.withdrawn", req)
    db.session.commit()
    return req


def accept_outreach(staff, req: OutreachRequest, course: Course, starts_at: datetime, ends_at: datetime,
                    capacity: int, venue: str = "") -> TrainingSession:
    """Create the session, for this organisation's members only, and tell the leader who asked."""
    if not is_staff(staff):
        raise NotAllowed()
    check_times(starts_at, ends_at, None)
    _decide_outreach(req, OutreachState.ACCEPTED, staff)
    ts = create_session(staff, course, starts_at, ends_at, capacity, venue=venue,
                        organisation_id=req.organisation_id, commit=False)
    req.session_id = ts.id
    record(staff, "outreach.accepted", req, {"session_id": ts.id})
    leader = db.session.get(User, req.requested_by_id) if req.requested_by_id else None
    if leader is not None:
        queue(leader, "outreach_accepted", org=req.organisation.name, course=_title(ts), when=_when(ts.starts_at),
              where=_where(ts))
    db.session.commit()
    return ts


def decline_outreach(staff, req: OutreachRequest, reason: str, note: str = "") -> OutreachRequest:
    if not is_staff(staff):
        raise NotAllowed()
    reason = DeclineReason(reason)
    _decide_outreach(req, OutreachState.DECLINED, staff)
    req.decline_reason, req.decline_note = reason, (note or "").strip() or None
    record(staff, "outreach.declined", req, {"reason": str(reason)})
    leader = db.session.get(User, req.requested_by_id) if req.requested_by_id else None
    if leader is not None:
        queue(leader, "outreach_declined", org=req.organisation.name, reason=_InLocale(lambda: str(req.reason_label)))
    db.session.commit()
    return req


def _decide_outreach(req: OutreachRequest, to: OutreachState, actor) -> None:
    """One conditional UPDATE, so two people answering at once cannot both succeed."""
    if not req.can(to):
        raise StateChanged()
    done = db.session.execute(update(OutreachRequest).where(
        OutreachRequest.id == req.id, OutreachRequest.state == OutreachState.PENDING)
        .values(state=to, decided_at=utcnow(), decided_by_id=actor.id)).rowcount
    if not done:
        db.session.rollback()
        raise StateChanged()
    db.session.refresh(req)
