"""Taps she can't take back are asked once (issue 16), on a page of their own so that it works without
JavaScript: giving back a training place, removing a member, leaving an organisation. And a leader knows who
asks to join: the last digits of the number and the day of the request, and a message when someone waits."""
from sqlalchemy import select

from portal.extensions import db
from portal.notifications.models import OutboxMessage
from portal.organisations import services as organisations
from portal.organisations.models import MemberRole, MemberState, Membership
from portal.trainings import services as trainings
from portal.trainings.models import Booking, BookingState
from tests.factories import MembershipFactory, OrganisationFactory, SessionFactory, UserFactory, future
from tests.helpers import post, sign_in


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
