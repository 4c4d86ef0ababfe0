"""What needs her now (issue 16), first on her home page after sign-in: a place held for her with its button
and until when, her training and her shift within the week with time and place, a leader's people waiting to
join, and the Mission's answer to her organisation's request; each with the one button it needs, in her
language. Nothing of it when nothing needs her."""
from datetime import timedelta

from sqlalchemy import func, select, update

from portal.audit import AuditLog

from portal.campaigns.models import ShiftWait, Signup
from portal.capacity import PlaceState, WaitState
from portal.clock import today_hk, utcnow
from portal.extensions import db
from portal.organisations.models import MemberRole, MemberState
from portal.trainings.models import Booking, BookingState, OutreachRequest, OutreachState, WaitlistEntry
from tests.factories import (
    CourseFactory, MembershipFactory, OrganisationFactory, SessionFactory, ShiftFactory, UserFactory, future,
)
from tests.helpers import post, sign_in


def test_what_needs_her_now_comes_first_with_its_one_button(client):
    her = UserFactory(name="Marites", locale="fil")
    org = OrganisationFactory(name="Samahan sa Central", state="approved")
    MembershipFactory(organisation=org, user=her, role=MemberRole.LEADER)
    for _ in range(2):
        MembershipFactory(organisation=org, state=MemberState.PENDING)
    full = SessionFactory(course=CourseFactory(title="Alamin ang kontrata"), capacity=1, taken=1,
                          starts_at=future(12), ends_at=future(12, 12), venue="Bayanihan Centre")
    offered = WaitlistEntry(session_id=full.id, user_id=her.id, state=WaitState.OFFERED,
                            offer_expires_at=utcnow() + timedelta(hours=20))
    sunday = SessionFactory(course=CourseFactory(title="Karapatan sa day off"), starts_at=future(3),
                            ends_at=future(3, 12), venue="St John's Cathedral Hall")
    far = SessionFactory(course=CourseFactory(title="Next month's training"), starts_at=future(30),
                         ends_at=future(30, 12))
    shift = ShiftFactory(place="Chater Road", role="marshal", starts_at=future(4), ends_at=future(4, 14))
    full_shift = ShiftFactory(place="Victoria Park", capacity=1, taken=1, starts_at=future(11),
                              ends_at=future(11, 14))
    answered = OutreachRequest(organisation_id=org.id, requested_by_id=her.id, programme="leap", language="fil",
                               expected=20, sunday_1=future(14).date(), sunday_2=future(21).date(),
                               state=OutreachState.DECLINED, decline_reason="no_trainer", decided_at=utcnow())
    db.session.add_all([
        offered, answered,
        Booking(session_id=sunday.id, user_id=her.id, state=BookingState.BOOKED),
        Booking(session_id=far.id, user_id=her.id, state=BookingState.BOOKED),
        Signup(shift_id=shift.id, user_id=her.id, state=PlaceState.BOOKED),
        ShiftWait(shift_id=full_shift.id, user_id=her.id, state=WaitState.OFFERED,
                  offer_expires_at=utcnow() + timedelta(hours=5)),
    ])
    db.session.commit()
    sign_in(client, her)
    page = client.get("/").get_data(as_text=True)
    now = page[page.index('id="now"'):page.index("</section>", page.index('id="now"'))]
    assert "Kailangan ka ngayon" in now
    assert now.count("Kunin ang puwesto") == 2 and f'/trainings/waitlist/{offered.id}/accept' in now
    assert "Victoria Park" in now and "Alamin ang kontrata" in now  # the shift's place held first: it ends sooner
    assert now.index("Victoria Park") < now.index("Alamin ang kontrata")
    assert "Karapatan sa day off" in now and "St John&#39;s Cathedral Hall" in now and "Chater Road" in now
    assert "Next month&#39;s training" not in now  # not within the week
    assert "2 tao ang naghihintay na sumali sa Samahan sa Central." in now and f"/organisations/{org.id}#members" in now
    assert "Hindi maibibigay ng Mission ang training na hiniling ng Samahan sa Central." in now
    # Its button does it, from the home page.
    taken = post(client, f"/trainings/waitlist/{offered.id}/accept", page="/")
    assert taken.status_code == 303 and taken.headers["Location"].endswith(f"/trainings/{full.id}")
    booking = db.session.scalar(select(Booking).where(Booking.session_id == full.id, Booking.user_id == her.id))
    assert booking is not None and booking.state == BookingState.BOOKED


def test_nothing_needs_her_nothing_is_shown(client):
    her = UserFactory(locale="id")
    sign_in(client, her)
    assert 'id="now"' not in client.get("/").get_data(as_text=True)


def test_referrals_that_need_someone_now_by_their_reference_only(client):
    """A caseworker's case with a date within the week, the new referrals a supervisor reviews, a leader's
    referral started and not sent: each by its reference (nothing of the case is read), with its button."""
    from portal.referrals import services as referrals
    from portal.referrals.models import Referral
    from tests.factories import StaffFactory
    from tests.test_referrals_services import NAME, draft
    org = OrganisationFactory(state="approved")
    leader = org.created_by
    leader.locale = "id"
    supervisor, caseworker = StaffFactory(role="supervisor"), StaffFactory(role="caseworker", locale="fil")
    kept = draft(leader, org, key="kept")  # started, not sent
    new = referrals.submit(leader, draft(leader, org, key="new"))
    case = referrals.submit(leader, draft(leader, org, key="case"))
    referrals.accept(supervisor, case)
    referrals.assign(supervisor, case, caseworker)
    db.session.execute(update(Referral).where(Referral.id == case.id).values(deadline=today_hk() + timedelta(days=3)))
    db.session.commit()
    reads = db.session.scalar(select(func.count()).select_from(AuditLog))

    sign_in(client, caseworker)
    page = client.get("/").get_data(as_text=True)
    assert f"Kaso {case.ref}: may petsa sa loob ng 3 araw." in page
    assert f'href="/staff/referrals/{case.ref}"' in page and "Buksan ang kaso" in page
    assert new.ref not in page and kept.ref not in page and NAME not in page

    boss = client.application.test_client()
    sign_in(boss, supervisor)
    page = boss.get("/").get_data(as_text=True)
    assert "1 new referral waits to be reviewed." in page and 'href="/staff/referrals/"' in page

    lead = client.application.test_client()
    sign_in(lead, leader)
    page = lead.get("/").get_data(as_text=True)
    assert f"Ada rujukan yang sudah dimulai tetapi belum dikirim ({kept.ref})." in page
    assert f'href="/referrals/{kept.ref}"' in page and case.ref not in page and NAME not in page
    # Nothing of a case was read to say so: no audit row of a read (only the sign-ins').
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.entity_type == "referrals", AuditLog.id > reads)) == 0
