"""The worker's periodic jobs for referrals: reminders of a case's dates, the queue's deadlines kept current,
and retention (closed referrals shredded once their time is up). Each job is safe to run from several workers
at once: a reminder is claimed by a conditional UPDATE before it is written, a shredding takes the row's
version."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from portal.accounts.models import User
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications.services import queue
from portal.audit import record
from portal.referrals.models import OPEN_STATES, KeyDate, Question, Referral, ReferralState
from portal.referrals.services import _shred, nearest_deadline, today


def remind_dates() -> int:
    """The caseworker hears, the day before, that she has a date tomorrow (and nothing of which case)."""
    tomorrow = today() + timedelta(days=1)
    due = db.session.execute(select(KeyDate.id, Referral.caseworker_id).join(Referral).where(
        KeyDate.day <= tomorrow, KeyDate.day >= today(), KeyDate.reminded_at.is_(None),
        Referral.state.in_(OPEN_STATES), Referral.caseworker_id.isnot(None))).all()
    n = 0
    for date_id, caseworker_id in due:
        claimed = db.session.execute(update(KeyDate).where(KeyDate.id == date_id, KeyDate.reminded_at.is_(None))
                                     .values(reminded_at=utcnow())).rowcount
        if claimed:
            queue(db.session.get(User, caseworker_id), "case_date")
            n += 1
        db.session.commit()
    return n


def refresh_deadlines() -> int:
    """A deadline that has passed gives way to the case's next date (the queue sorts by it). A case changed
    at the same moment by its caseworker is left to the next round."""
    n = 0
    for ref_id in db.session.scalars(select(Referral.id).where(Referral.state.in_(OPEN_STATES),
                                                               Referral.deadline < today())).all():
        r = db.session.get(Referral, ref_id)
        nearest = nearest_deadline(r)
        if nearest == r.deadline:
            continue
        r.deadline = nearest
        try:
            db.session.commit()
            n += 1
        except StaleDataError:
            db.session.rollback()
    return n


def shred_expired() -> int:
    """Closed and declined referrals older than REFERRAL_RETENTION_DAYS: what they held of her is erased, the
    plain facts stay for reports."""
    cutoff = utcnow() - timedelta(days=current_app.config["REFERRAL_RETENTION_DAYS"])
    n = 0
    for ref_id in db.session.scalars(select(Referral.id).where(
            Referral.closed_at < cutoff, Referral.shredded_at.is_(None))).all():
        r = db.session.get(Referral, ref_id)
        try:
            _shred(None, r)
            db.session.commit()
            n += 1
        except StaleDataError:  # another worker shredded it at the same moment
            db.session.rollback()
    return n


def forget_old_drafts_and_questions() -> int:
    """Drafts left for REFERRAL_DRAFT_DAYS are deleted whole; questions older than REFERRAL_RETENTION_DAYS
    lose their text and answer (their category and dates stay for reports)."""
    now = utcnow()
    draft_cutoff = now - timedelta(days=current_app.config["REFERRAL_DRAFT_DAYS"])
    n = 0
    for r in db.session.scalars(select(Referral).where(Referral.state == ReferralState.DRAFT,
                                                       Referral.created_at < draft_cutoff)).all():
        record(None, "referral.draft_expired", r)
        db.session.delete(r)
        n += 1
    cutoff = now - timedelta(days=current_app.config["REFERRAL_RETENTION_DAYS"])
    for q in db.session.scalars(select(Question).where(Question.created_at < cutoff, Question.text.isnot(None))):
        q.text = q.answer = None
        record(None, "question.shredded", q)
        n += 1
    db.session.commit()
    return n


def referrals_job() -> str | None:
    reminded, moved = remind_dates(), refresh_deadlines()
    shredded, forgotten = shred_expired(), forget_old_drafts_and_questions()
    if reminded or moved or shredded or forgotten:
        return (f"Referrals: {reminded} date reminders written, {moved} deadlines moved on, "
                f"{shredded} closed referrals shredded, {forgotten} old drafts and questions forgotten.")
    return None
