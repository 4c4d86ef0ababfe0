"""Taps she can't take back are asked once (issue 16), on a page of their own so that it works without
JavaScript: giving back a training place, removing a member, leaving an organisation. And a leader knows who
asks to join: the last digits of the number and the day of the request, and a message when someone waits."""
from datetime import timedelta

from sqlalchemy import select, update

from portal.audit import AuditLog
from portal.campaigns.models import Shift, Signup
from portal.capacity import UNDO_WINDOW, PlaceState, WaitState
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from portal.organisations import services as organisations
from portal.organisations.models import MemberRole, MemberState, Membership
from portal.trainings import services as trainings
from portal.trainings.models import Booking, BookingState, TrainingSession, WaitlistEntry
from tests.factories import (
    MembershipFactory, OrganisationFactory, SessionFactory, ShiftFactory, StaffFactory, UserFactory, future,
)
from tests.helpers import post, sign_in, snapshot


def test_giving_back_a_place_is_asked_once_in_her_language(client):
    her = UserFactory(locale="id")
    ts = SessionFactory(starts_at=future(10), ends_at=future(10, 12), venue="Bayanihan Centre")
    booking = trainings.book(her, ts, her)
    sign_in(client, her)
    session_page = client.get(f"/trainings/{ts.id}").get_data(as_text=True)
    assert f'href="/trainings/bookings/{booking.id}/cancel"' in session_page  # a link to the question, not a POST
    ask = client.get(f"/trainings/bookings/{booking.id}/cancel")
    page = ask.get_data(as_text=True)
    assert ask.status_code == 200 and "Batalkan tempat Anda pada" in page and "Bayanihan Centre" in page
    assert "Ya, batalkan tempat saya" in page and f'href="/trainings/{ts.id}"' in page  # "No" goes back
    assert db.session.get(Booking, booking.id).state == BookingState.BOOKED  # asking changed nothing
    done = post(client, f"/trainings/bookings/{booking.id}/cancel", page=f"/trainings/bookings/{booking.id}/cancel")
    assert done.status_code == 303 and db.session.get(Booking, booking.id).state == BookingState.CANCELLED
    # Nothing left to give back: the question is not asked again.
    assert client.get(f"/trainings/bookings/{booking.id}/cancel").status_code == 303
    stranger = client.application.test_client()
    sign_in(stranger, UserFactory())
    assert stranger.get(f"/trainings/bookings/{booking.id}/cancel").status_code == 403


def test_removing_a_member_and_leaving_are_asked_once(client):
    org = OrganisationFactory(name="Samahan sa Central", state="approved")
    leader = org.created_by
    leader.locale = "fil"
    m = MembershipFactory(organisation=org, user=UserFactory(name="Rosa Lim"))
    db.session.commit()
    sign_in(client, leader)
    page = client.get(f"/organisations/{org.id}").get_data(as_text=True)
    remove = f"/organisations/{org.id}/members/{m.id}/remove"
    assert f'href="{remove}"' in page
    ask = client.get(remove).get_data(as_text=True)
    assert "Alisin si Rosa Lim sa Samahan sa Central?" in ask and "Oo, alisin" in ask
    assert db.session.get(Membership, m.id).state == MemberState.ACTIVE
    assert post(client, remove, page=remove).status_code in (200, 303)
    assert db.session.get(Membership, m.id).state == MemberState.REMOVED
    member = MembershipFactory(organisation=org, user=UserFactory(locale="id"))
    hers = client.application.test_client()
    sign_in(hers, member.user)
    leave = f"/organisations/{org.id}/members/{member.id}/remove"
    assert f'href="{leave}"' in hers.get(f"/organisations/{org.id}").get_data(as_text=True)
    assert "Keluar dari Samahan sa Central?" in hers.get(leave).get_data(as_text=True)


def test_a_leader_tells_two_requests_apart_and_is_told_once_that_someone_waits(client):
    org = OrganisationFactory(name="Samahan sa Central", state="approved", join_code="ABCDEFGH")
    leader = org.created_by
    co = MembershipFactory(organisation=org, role=MemberRole.COLEADER).user
    first, second = UserFactory(name="Maria Santos", phone="+85291234561"), UserFactory(name="Maria Santos",
                                                                                          phone="+85291237772")
    organisations.join(first, "ABCDEFGH")
    organisations.join(second, "ABCDEFGH")  # a queue already waits: no second message
    told = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "join_request")).all()
    assert sorted(msg.user_id for msg in told) == sorted([leader.id, co.id])
    assert all("Samahan sa Central" in msg.body for msg in told)
    sign_in(client, leader)
    page = client.get(f"/organisations/{org.id}").get_data(as_text=True)
    assert "•••• 4561" in page and "•••• 7772" in page and "+85291234561" not in page
    assert page.count("asked on") == 2


# --- a place given back can be taken back within minutes, while nobody has it (capacity.take_back) ---

def test_she_takes_back_a_place_she_just_gave_back(client):
    her = UserFactory(locale="fil")
    ts = SessionFactory(capacity=2)
    booking = trainings.book(her, ts, her)
    sign_in(client, her)
    post(client, f"/trainings/bookings/{booking.id}/cancel")
    assert db.session.get(TrainingSession, ts.id).taken == 0
    page = client.get(f"/trainings/{ts.id}").get_data(as_text=True)
    assert "Bawiin ang aking lugar" in page and f'action="/trainings/bookings/{booking.id}/undo"' in page
    done = post(client, f"/trainings/bookings/{booking.id}/undo", follow_redirects=True).get_data(as_text=True)
    assert "Sa iyo na ulit ang lugar" in done
    assert db.session.get(Booking, booking.id).state == BookingState.BOOKED
    assert db.session.get(TrainingSession, ts.id).taken == 1
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.action == "booking.taken_back"))
    # A second tap changes nothing more.
    again = post(client, f"/trainings/bookings/{booking.id}/undo", follow_redirects=True).get_data(as_text=True)
    assert "Nabago na ito" in again and db.session.get(TrainingSession, ts.id).taken == 1


def test_a_place_gone_to_the_next_in_line_is_not_taken_back(client):
    her, next_one = UserFactory(), UserFactory()
    ts = SessionFactory(capacity=1)
    booking = trainings.book(her, ts, her)
    entry = trainings.join_waitlist(next_one, ts, next_one)
    sign_in(client, her)
    post(client, f"/trainings/bookings/{booking.id}/cancel")
    assert db.session.get(WaitlistEntry, entry.id).state == WaitState.OFFERED  # held for the next one at once
    before = snapshot()
    page = post(client, f"/trainings/bookings/{booking.id}/undo", follow_redirects=True).get_data(as_text=True)
    assert "it has gone to the next person waiting" in page
    assert snapshot() == before  # nothing changed: she has no place, the offer stands
    assert "Take my place back" not in client.get(f"/trainings/{ts.id}").get_data(as_text=True)


def test_after_the_minutes_to_change_her_mind_nothing_is_taken_back(client):
    her = UserFactory()
    ts = SessionFactory()
    booking = trainings.book(her, ts, her)
    trainings.cancel_booking(her, booking)
    db.session.execute(update(Booking).where(Booking.id == booking.id)
                       .values(changed_at=utcnow() - UNDO_WINDOW - timedelta(seconds=1)))
    db.session.commit()
    sign_in(client, her)
    assert "Take my place back" not in client.get(f"/trainings/{ts.id}").get_data(as_text=True)
    page = post(client, f"/trainings/bookings/{booking.id}/undo", follow_redirects=True).get_data(as_text=True)
    assert "The minutes to change your mind have passed" in page
    assert db.session.get(Booking, booking.id).state == BookingState.CANCELLED


def test_my_day_off_was_cancelled_can_be_taken_back_after_the_deadline(client):
    her = UserFactory(locale="id")
    ts = SessionFactory(starts_at=utcnow() + timedelta(hours=20), ends_at=utcnow() + timedelta(hours=23),
                        deadline=utcnow() + timedelta(hours=1))
    booking = trainings.book(her, ts, her)
    db.session.execute(update(TrainingSession).where(TrainingSession.id == ts.id)
                       .values(deadline=utcnow() - timedelta(hours=1)))  # booking has closed since
    db.session.commit()
    sign_in(client, her)
    post(client, f"/trainings/bookings/{booking.id}/cancel")
    assert db.session.get(Booking, booking.id).state == BookingState.RELEASED
    assert "Ambil kembali tempat saya" in client.get("/trainings/mine").get_data(as_text=True)
    post(client, f"/trainings/bookings/{booking.id}/undo")  # booking is closed, but the place was hers minutes ago
    assert db.session.get(Booking, booking.id).state == BookingState.BOOKED


def test_a_shift_place_is_given_back_once_asked_and_taken_back(client):
    her = UserFactory(locale="id")
    shift = ShiftFactory(place="Chater Road, Central")
    sign_in(client, her)
    post(client, f"/campaigns/shifts/{shift.id}/sign-up")
    signup = db.session.scalar(select(Signup).where(Signup.user_id == her.id))
    page = client.get(f"/campaigns/shifts/{shift.id}").get_data(as_text=True)
    assert f'href="/campaigns/signups/{signup.id}/cancel"' in page  # a link to the question, not a POST
    ask = client.get(f"/campaigns/signups/{signup.id}/cancel").get_data(as_text=True)
    assert "Kembalikan tempat Anda pada" in ask and "Chater Road, Central" in ask
    assert db.session.get(Signup, signup.id).state == PlaceState.BOOKED
    post(client, f"/campaigns/signups/{signup.id}/cancel", page=f"/campaigns/signups/{signup.id}/cancel")
    assert db.session.get(Signup, signup.id).state == PlaceState.CANCELLED
    assert "Ambil kembali tempat saya" in client.get(f"/campaigns/shifts/{shift.id}").get_data(as_text=True)
    post(client, f"/campaigns/signups/{signup.id}/undo")
    assert db.session.get(Signup, signup.id).state == PlaceState.BOOKED
    assert db.session.get(Shift, shift.id).taken == 1


def test_cancelling_a_session_for_everyone_is_asked_once(client):
    staff = StaffFactory(locale="fil")
    ts = SessionFactory(capacity=5)
    for _ in range(2):
        person = UserFactory()
        trainings.book(person, ts, person)
    sign_in(client, staff)
    page = client.get(f"/trainings/{ts.id}").get_data(as_text=True)
    assert f'action="/staff/trainings/sessions/{ts.id}/cancel"' in page  # a plain form: works without JavaScript
    before = snapshot()
    asked = post(client, f"/staff/trainings/sessions/{ts.id}/cancel")
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and 'name="sure" value="1"' in html and f'href="/trainings/{ts.id}"' in html
    assert snapshot() == before  # asking changed nothing, told nobody
    done = post(client, f"/staff/trainings/sessions/{ts.id}/cancel", {"sure": "1"})
    assert done.status_code == 303 and db.session.get(TrainingSession, ts.id).state == "cancelled"
