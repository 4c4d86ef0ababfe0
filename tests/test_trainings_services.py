"""Trainings: booking rules, capacity under concurrency, the waiting list with offers."""
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, insert, select

from portal.accounts.models import User
from portal.audit import AuditLog
from portal.clock import aware
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from portal.capacity import offer_deadline
from portal.trainings import services
from portal.trainings.models import Booking, BookingState, TrainingSession, WaitlistEntry, WaitState
from portal.web import NotAllowed
from tests.helpers import at_once
from tests.factories import MembershipFactory, OrganisationFactory, SessionFactory, StaffFactory, UserFactory


def fresh(ts):
    return db.session.get(TrainingSession, ts.id, populate_existing=True)


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_book_takes_a_seat_audits_and_confirms(app):
    ts, person = SessionFactory(capacity=2), UserFactory(locale="fil")
    booking = services.book(person, ts, person)
    assert booking.state == BookingState.BOOKED and fresh(ts).taken == 1
    assert count(AuditLog, AuditLog.action == "booking.booked") == 1
    msg = db.session.scalars(select(OutboxMessage)).one()
    assert msg.kind == "booking_confirmed" and msg.locale == "fil" and "Labour rights" in msg.body


def test_no_two_bookings_for_one_person(app):
    ts, person = SessionFactory(), UserFactory()
    services.book(person, ts, person)
    with pytest.raises(services.AlreadyBooked):
        services.book(person, ts, person)
    assert fresh(ts).taken == 1


def test_no_two_sessions_at_the_same_time(app):
    a = SessionFactory()
    b = SessionFactory(starts_at=a.starts_at + timedelta(hours=1), ends_at=a.ends_at + timedelta(hours=1))
    person = UserFactory()
    services.book(person, a, person)
    with pytest.raises(services.TimeClash):
        services.book(person, b, person)
    assert fresh(b).taken == 0


def test_cancelled_sessions_refuse(app):
    ts, person = SessionFactory(state="cancelled"), UserFactory()
    with pytest.raises(services.BookingClosed):
        services.book(person, ts, person)


def test_past_and_deadline_passed_refuse(app):
    ts = SessionFactory()
    person = UserFactory()
    with time_machine.travel(aware(ts.deadline) + timedelta(minutes=1)):
        with pytest.raises(services.BookingClosed):
            services.book(person, ts, person)
    with time_machine.travel(aware(ts.starts_at) + timedelta(minutes=1)):
        with pytest.raises(services.BookingClosed):
            services.book(person, ts, person)
    assert fresh(ts).taken == 0 and count(Booking) == 0


def test_full_session_refuses_and_waiting_list_takes_her(app):
    ts = SessionFactory(capacity=1)
    a, b = UserFactory(), UserFactory()
    services.book(a, ts, a)
    with pytest.raises(services.SessionFull):
        services.book(b, ts, b)
    entry = services.join_waitlist(b, ts, b)
    assert entry.state == WaitState.WAITING and services.position(entry) == 1
    with pytest.raises(services.AlreadyWaiting):
        services.join_waitlist(b, ts, b)


def test_cannot_wait_while_seats_are_free(app):
    ts, person = SessionFactory(capacity=3), UserFactory()
    with pytest.raises(services.NotFullYet):
        services.join_waitlist(person, ts, person)


def test_leader_books_members_but_not_strangers(app):
    org = OrganisationFactory()
    leader = org.created_by
    member = MembershipFactory(organisation=org).user
    stranger = UserFactory()
    ts = SessionFactory(capacity=2)
    result = services.book_many(leader, ts, [member, leader], org)
    assert len(result["booked"]) == 2
    with pytest.raises(NotAllowed):
        services.book(leader, ts, stranger, org)
    with pytest.raises(NotAllowed):
        services.book(member, ts, stranger)


def test_book_many_waitlists_the_rest_when_full(app):
    org = OrganisationFactory()
    members = [MembershipFactory(organisation=org).user for _ in range(3)]
    ts = SessionFactory(capacity=2)
    result = services.book_many(org.created_by, ts, members, org)
    assert len(result["booked"]) == 2 and len(result["waiting"]) == 1 and not result["refused"]
    assert result["waiting"] == [(members[2], 1)]  # and her number in line
    # Each is told: the booked ones that their place is booked, the one in line her number, in her language.
    told = {(m.user_id, m.kind) for m in db.session.scalars(select(OutboxMessage))}
    assert told == {(members[0].id, "booking_confirmed"), (members[1].id, "booking_confirmed"),
                    (members[2].id, "waitlist_joined")}
    line = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "waitlist_joined"))
    assert "number 1 on the waiting list" in line.body
    # Joining the line herself, she sees her number on the page: no message.
    alone = UserFactory()
    services.join_waitlist(alone, ts, alone)
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == alone.id)) is None


def test_per_organisation_cap(app):
    org = OrganisationFactory()
    members = [MembershipFactory(organisation=org).user for _ in range(3)]
    ts = SessionFactory(capacity=10, per_org_cap=2)
    result = services.book_many(org.created_by, ts, members, org)
    assert len(result["booked"]) == 2 and len(result["refused"]) == 1
    assert result["refused"][0][1] == services.OrgCapReached.message


def test_cancel_before_deadline_and_release_after(app):
    ts = SessionFactory(capacity=2)
    a, b = UserFactory(), UserFactory()
    ba, bb = services.book(a, ts, a), services.book(b, ts, b)
    services.cancel_booking(a, ba)
    assert ba.state == BookingState.CANCELLED and fresh(ts).taken == 1
    with time_machine.travel(aware(ts.deadline) + timedelta(hours=1)):
        services.cancel_booking(b, bb)
    assert bb.state == BookingState.RELEASED and fresh(ts).taken == 0
    with pytest.raises(services.StateChanged):
        services.cancel_booking(b, bb)


def test_freed_seat_is_offered_accepted_and_never_left_empty(app):
    ts = SessionFactory(capacity=1)
    a, b, c = UserFactory(), UserFactory(), UserFactory()
    booking = services.book(a, ts, a)
    wb, wc = services.join_waitlist(b, ts, b), services.join_waitlist(c, ts, c)
    assert services.position(wc) == 2
    services.cancel_booking(a, booking)
    db.session.refresh(wb)
    assert wb.state == WaitState.OFFERED and fresh(ts).taken == 1  # the offer holds the seat
    assert services.position(wc) == 1
    latecomer = UserFactory()
    with pytest.raises(services.SessionFull):  # nobody jumps the line
        services.book(latecomer, ts, latecomer)
    assert db.session.scalars(select(OutboxMessage.kind).where(OutboxMessage.user_id == b.id)).all()[-1] \
        == "seat_offered"
    services.accept_offer(b, wb)
    assert db.session.scalar(select(Booking.state).where(Booking.user_id == b.id)) == BookingState.BOOKED
    assert fresh(ts).taken == 1
    with pytest.raises(services.OfferGone):
        services.accept_offer(b, wb)


def offered(waiting=2):
    """A one-place session whose booking was cancelled while `waiting` people were in line:
    the first of them now holds an offer. Returns the session and the waiting-list entries."""
    ts = SessionFactory(capacity=1)
    first = UserFactory()
    booking = services.book(first, ts, first)
    entries = []
    for person in UserFactory.create_batch(waiting):
        entries.append(services.join_waitlist(person, ts, person))
    services.cancel_booking(first, booking)
    for e in entries:
        db.session.refresh(e)
    return ts, entries


def test_offer_expires_and_passes_to_the_next(app):
    ts, (wb, wc) = offered(2)
    b, c = wb.user, wc.user
    assert wb.offer_expires_at is not None
    with time_machine.travel(aware(wb.offer_expires_at) + timedelta(minutes=1)):
        assert services.apply_expired_offers() == 1
        db.session.refresh(wb), db.session.refresh(wc)
        assert wb.state == WaitState.EXPIRED and wc.state == WaitState.OFFERED
        with pytest.raises(services.OfferGone):
            services.accept_offer(b, wb)
        services.accept_offer(c, wc)
    assert fresh(ts).taken == 1


def test_expired_offer_with_nobody_next_frees_the_seat_when_read(app):
    ts, (wb,) = offered(1)
    with time_machine.travel(aware(wb.offer_expires_at) + timedelta(seconds=1)):
        person = UserFactory()
        services.book(person, ts, person)  # applies the expiry first: the seat is hers
    assert fresh(ts).taken == 1


def test_offer_hold_is_shorter_as_the_session_nears(app):
    ts = SessionFactory()
    start = aware(ts.starts_at)
    now = start - timedelta(days=6)
    assert offer_deadline(ts.starts_at, now) - now == timedelta(hours=48)
    now = start - timedelta(hours=10)
    assert offer_deadline(ts.starts_at, now) - now == timedelta(hours=5)
    now = start - timedelta(minutes=30)
    assert offer_deadline(ts.starts_at, now) == start


def test_leaving_the_list_with_an_offer_passes_it_on(app):
    ts, (wb, wc) = offered(2)
    services.leave_waitlist(wb.user, wb)
    db.session.refresh(wc)
    assert wc.state == WaitState.OFFERED and fresh(ts).taken == 1


def test_attendance_and_walk_ins(app):
    staff = StaffFactory()
    ts = SessionFactory(capacity=2)
    a = UserFactory()
    booking = services.book(a, ts, a)
    services.mark_attendance(staff, booking, True)
    assert booking.state == BookingState.ATTENDED
    services.mark_attendance(staff, booking, False)
    assert booking.state == BookingState.NO_SHOW
    walker, beyond = services.add_walk_in(staff, ts, UserFactory())
    assert walker.state == BookingState.ATTENDED and not beyond
    # Full: the room decides, not the form. One seat more, and staff are told so.
    walker, beyond = services.add_walk_in(staff, ts, UserFactory())
    assert walker.state == BookingState.ATTENDED and beyond
    assert (ts.taken, ts.capacity) == (3, 3)
    with pytest.raises(services.AlreadyBooked):  # the same person twice
        services.add_walk_in(staff, ts, walker.user)
    with pytest.raises(NotAllowed):
        services.mark_attendance(a, booking, True)


def test_cancelled_session_tells_everyone(app):
    staff = StaffFactory()
    ts = SessionFactory(capacity=1)
    a, b = UserFactory(), UserFactory()
    services.book(a, ts, a)
    services.join_waitlist(b, ts, b)
    assert services.cancel_session(staff, ts) == 2
    kinds = db.session.scalars(select(OutboxMessage.kind).where(OutboxMessage.kind == "session_cancelled")).all()
    assert len(kinds) == 2 and fresh(ts).taken == 0


def test_the_database_refuses_more_than_capacity(app):
    from sqlalchemy.exc import IntegrityError
    ts = SessionFactory(capacity=1, taken=1)
    with pytest.raises(IntegrityError):
        db.session.execute(TrainingSession.__table__.update().where(TrainingSession.id == ts.id).values(taken=2))
        db.session.commit()
    db.session.rollback()


@pytest.mark.xdist_group("heavy")  # one test process at a time: 55 connections each, PostgreSQL allows 100
@pytest.mark.parametrize("round_", range(20))
def test_capacity_is_never_exceeded_under_concurrency(app, crowd_app, round_):
    """50 people book one session of 10 at the same moment, each on her own connection."""
    ts = SessionFactory(capacity=10)
    ids = db.session.scalars(insert(User).returning(User.id), [
        dict(name=f"Crowd {round_}-{i}", phone=f"+8529{round_:02d}{i:05d}", locale="en", password_hash="x",
             is_enabled=True, auth_version=1) for i in range(50)]).all()
    db.session.commit()
    session_id = ts.id
    db.session.remove()

    def attempt(person_id, go):
        person = db.session.get(User, person_id)
        session = db.session.get(TrainingSession, session_id)
        go()
        try:
            services.book(person, session, person)
            return "booked"
        except services.SessionFull:
            db.session.rollback()
            try:
                services.join_waitlist(person, session, person)
                return "waiting"
            except services.DomainError:
                return "refused"

    outcomes = at_once(crowd_app, ids, attempt)
    assert len(outcomes) == 50
    assert outcomes.count("booked") == 10 and outcomes.count("waiting") == 40
    assert fresh(ts).taken == 10
    assert count(Booking, Booking.session_id == session_id, Booking.state == BookingState.BOOKED) == 10
    assert count(WaitlistEntry, WaitlistEntry.session_id == session_id) == 40


def test_the_worker_passes_on_expired_offers(app):
    ts, (wb,) = offered(1)
    wb_id, ts_id = wb.id, ts.id
    with time_machine.travel(aware(wb.offer_expires_at) + timedelta(minutes=5)):
        result = app.test_cli_runner().invoke(args=["worker", "--rounds", "1", "--interval", "0"])
    assert "Trainings: 1 expired offers passed on." in result.output
    assert db.session.get(WaitlistEntry, wb_id).state == WaitState.EXPIRED
    assert db.session.get(TrainingSession, ts_id).taken == 0
