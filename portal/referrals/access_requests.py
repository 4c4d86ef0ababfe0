"""A worker's request for everything held about her (Hong Kong's Personal Data (Privacy) Ordinance: answered
within 40 days). A supervisor records it (the day it came, so the due day), and answers it with a download of
every referral of hers: found by her number or e-mail through their keyed hashes (no other referral is
decrypted), or by her account. Each referral put in the download leaves an audit row, as any read does."""
from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, or_, select

from portal.accounts.models import User
from portal.accounts.services import normalise_email, normalise_phone
from portal.audit import record
from portal.clock import utcnow
from portal.extensions import db
from portal.referrals.access import can_decide
from portal.referrals.models import AccessRequest, Referral, ReferralState
from portal.referrals.services import BadDate, today, worker_key
from portal.web import DomainError, NotAllowed

ANSWER_WITHIN = timedelta(days=40)


class NothingToFindHerBy(DomainError):
    message = _l("Write her mobile number or her e-mail: the portal finds her referrals by them.")


def record_request(user, received_on: date, name: str, phone: str | None, email: str | None) -> AccessRequest:
    if not can_decide(user):
        raise NotAllowed()
    if not (today() - ANSWER_WITHIN <= received_on <= today()):
        raise BadDate()
    phone, email = (normalise_phone(phone) if phone else None), (normalise_email(email) if email else None)
    if not phone and not email:
        raise NothingToFindHerBy()
    req = AccessRequest(received_on=received_on, due_on=received_on + ANSWER_WITHIN, recorded_by_id=user.id,
                        subject={"name": (name or "").strip(), "phone": phone, "email": email})
    db.session.add(req)
    db.session.flush()
    record(user, "access_request.recorded", req, {"due_on": req.due_on.isoformat()})
    db.session.commit()
    return req


def requests():
    """Waiting ones first, the nearest due day first; then the answered, the latest first."""
    return select(AccessRequest).order_by(case((AccessRequest.answered_at.is_(None), 0), else_=1),
                                          AccessRequest.due_on, AccessRequest.id)


def _hers(req: AccessRequest):
    subject = req.subject or {}
    keys = [k for k in (worker_key(subject.get("phone")), worker_key(subject.get("email"))) if k]
    # An account's number counts once she confirmed it: someone may have typed hers into another account.
    accounts = select(User.id).where(or_(and_(User.phone == subject.get("phone"), User.phone_confirmed_at.isnot(None)),
                                         User.email == subject.get("email")))
    return select(Referral).where(Referral.state != ReferralState.DRAFT, or_(
        Referral.phone_key.in_(keys), Referral.email_key.in_(keys), Referral.worker_id.in_(accounts)))\
        .order_by(Referral.created_at, Referral.id)


def answer(user, req: AccessRequest) -> dict:
    """Everything held about her, as one document; the request is marked answered."""
    if not can_decide(user):
        raise NotAllowed()
    found = db.session.scalars(_hers(req)).all()
    document = {
        "request": {"received_on": req.received_on.isoformat(), "due_on": req.due_on.isoformat(),
                    "answered_on": today().isoformat(), "subject": req.subject},
        "referrals": [_everything(r) for r in found],
    }
    for r in found:
        record(user, "referral.exported", r, {"access_request_id": req.id})
    req.answered_at, req.answered_by_id, req.found = utcnow(), user.id, len(found)
    record(user, "access_request.answered", req, {"found": len(found)})
    db.session.commit()
    return document


def _everything(r: Referral) -> dict:
    day = lambda d: d.isoformat() if d else None  # noqa: E731
    return {
        "reference": r.ref, "state": str(r.state), "organisation": r.organisation.name,
        "categories": r.category_list, "programme": r.programme, "urgency": r.urgency,
        "sent": day(r.submitted_at), "closed": day(r.closed_at), "outcome": r.outcome,
        "decline_reason": r.decline_reason, "worker": r.worker, "contact": r.contact, "story": r.story,
        "employer": r.employer, "contract_ended": day(r.termination_date),
        "stay_extended_until": day(r.stay_extended_until),
        "consents": [{"how": c.how, "given_on": day(c.given_on), "to_mission": c.to_mission,
                      "withdrawn": day(c.withdrawn_at)} for c in r.consents],
        "dates": [{"kind": d.kind, "day": day(d.day)} for d in r.dates],
        "notes": [{"written": day(n.created_at), "shared": n.shared, "text": n.body} for n in r.notes],
    }
