"""Campaigns: shift places through portal/capacity.py (never overfilled, the waiting list with offers),
clashes with shifts and trainings, leaders signing up members, giving back, staff changes, reminders,
check-in and hours."""
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, insert, select

from portal.notifications.services import save_choices
from portal.accounts.models import User
from portal.audit import AuditLog
from portal.agenda import Busy
from portal.campaigns import services
from portal.campaigns.models import Endorsement, Shift, ShiftWait, Signup
from portal.capacity import PlaceState, WaitState
from portal.clock import HK, aware
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from portal.trainings import services as trainings
from portal.web import NotAllowed
from tests.factories import (
    CampaignFactory, MembershipFactory, OrganisationFactory, SessionFactory, ShiftFactory, StaffFactory, UserFactory,
)
from tests.helpers import at_once


def fresh(shift):
    return db.session.get(Shift, shift.id, populate_existing=True)


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def messages(kind=None):
    q = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        q = q.where(OutboxMessage.kind == kind)
    return db.session.scalars(q).all()


def test_a_sign_up_takes_a_place_audits_and_confirms_with_time_place_and_what_to_bring(app):
    shift, person = ShiftFactory(capacity=2, bring_note="Your union T-shirt"), UserFactory(locale="id")
    signup = services.sign_up(person, shift, person)
    assert signup.state == PlaceState.BOOKED and fresh(shift).taken == 1
    assert count(AuditLog, AuditLog.action == "signup.booked") == 1
    msg = messages("shift_confirmed")[0]
    assert msg.locale == "id" and "Chater Road, Central" in msg.body and "Your union T-shirt" in msg.body
    assert "Air" in msg.body  # "Water", in Indonesian: what to bring is in her language
    # Nothing of the campaign: a phone may be read by an employer.
    assert shift.campaign.title not in msg.body and shift.campaign.title not in msg.subject


def test_no_two_places_for_one_person_and_a_full_shift_has_a_waiting_list(app):
    shift = ShiftFactory(capacity=1)
    a, b = UserFactory(), UserFactory()
    services.sign_up(a, shift, a)
    with pytest.raises(services.AlreadySignedUp):
        services.sign_up(a, shift, a)
    with pytest.raises(services.ShiftFull):
        services.sign_up(b, shift, b)
    entry = services.join_waitlist(b, shift, b)
    assert services.position(entry) == 1 and fresh(shift).taken == 1
    # She gives her place back a week ahead: cancelled; the place is held for b, who is told.
    services.cancel_signup(a, db.session.scalar(select(Signup).where(Signup.user_id == a.id)))
    entry = db.session.get(ShiftWait, entry.id, populate_existing=True)
    assert entry.state == WaitState.OFFERED and fresh(shift).taken == 1
    assert [m.user_id for m in messages("shift_offered")] == [b.id]
    signup = services.accept_offer(b, entry)
    assert signup.state == PlaceState.BOOKED and fresh(shift).taken == 1


def test_a_shift_that_clashes_with_another_shift_or_a_training_is_refused_with_the_reason(app):
    person = UserFactory()
    first = ShiftFactory()
    services.sign_up(person, first, person)
    overlapping = ShiftFactory(starts_at=first.starts_at + timedelta(hours=2),
                               ends_at=first.starts_at + timedelta(hours=4), place="Victoria Park")
    with pytest.raises(Busy) as refused:
        services.sign_up(person, overlapping, person)
    assert "Chater Road, Central" in str(refused.value.message) and fresh(overlapping).taken == 0
    # A training she booked the next Sunday: the shift over it is refused, naming the training...
    ts = SessionFactory(starts_at=first.starts_at + timedelta(days=7),
                        ends_at=first.starts_at + timedelta(days=7, hours=3))
    trainings.book(person, ts, person)
    during = ShiftFactory(starts_at=ts.starts_at + timedelta(hours=1), ends_at=ts.ends_at + timedelta(hours=1))
    with pytest.raises(Busy) as refused:
        services.sign_up(person, during, person)
    assert ts.course.title in str(refused.value.message)
    # ... and a training over her shift is refused, naming the shift.
    ts2 = SessionFactory(starts_at=first.starts_at - timedelta(hours=1), ends_at=first.starts_at + timedelta(hours=1))
    with pytest.raises(Busy) as refused:
        trainings.book(person, ts2, person)
    assert "Chater Road, Central" in str(refused.value.message)
    # Back to back is no clash.
    after = ShiftFactory(starts_at=first.ends_at, ends_at=first.ends_at + timedelta(hours=2))
    services.sign_up(person, after, person)


def test_several_shifts_in_one_go_each_answered(app):
    person = UserFactory()
    a = ShiftFactory()
    b = ShiftFactory(starts_at=a.starts_at + timedelta(days=7), ends_at=a.ends_at + timedelta(days=7))
    clash = ShiftFactory(starts_at=a.starts_at + timedelta(hours=1), ends_at=a.ends_at + timedelta(hours=1))
    full = ShiftFactory(starts_at=a.starts_at + timedelta(days=14), ends_at=a.ends_at + timedelta(days=14),
                        capacity=1, taken=1)
    outcomes = services.sign_up_many(person, [full, clash, b, a], person)
    assert [(o.shift.id, o.result) for o in outcomes] == [
        (a.id, "signed_up"), (clash.id, "refused"), (b.id, "signed_up"), (full.id, "waiting")]
    assert "Chater Road" in outcomes[1].reason and outcomes[3].position == 1
    assert fresh(clash).taken == 0 and fresh(full).taken == 1
    assert count(Signup, Signup.user_id == person.id, Signup.state == PlaceState.BOOKED) == 2


def test_a_leader_signs_up_her_members_and_nobody_else(app):
    org = OrganisationFactory()
    leader = org.created_by
    members = [MembershipFactory(organisation=org).user for _ in range(3)]
    stranger = UserFactory()
    shift = ShiftFactory(capacity=2)
    outcomes = services.sign_up_members(leader, shift, members, org)
    assert [o.result for o in outcomes] == ["signed_up", "signed_up", "waiting"]
    # The one in line is told her number (she did not see the page); nothing of the campaign.
    [line] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "shift_waitlist_joined")).all()
    assert line.user_id == members[2].id and "number 1 on the waiting list" in line.body
    with pytest.raises(NotAllowed):
        services.sign_up(leader, shift, stranger, org)
    # Her leader may give a member's place back; another leader may not.
    signup = db.session.scalar(select(Signup).where(Signup.user_id == members[0].id))
    other = OrganisationFactory().created_by
    with pytest.raises(NotAllowed):
        services.cancel_signup(other, signup)
    services.cancel_signup(leader, signup)
    assert fresh(shift).taken == 2  # the place went to the third member, as an offer
    assert db.session.scalar(select(ShiftWait.state).where(ShiftWait.user_id == members[2].id)) == WaitState.OFFERED


def test_giving_back_close_to_the_start_is_a_release_and_after_the_start_nothing(app):
    shift, person = ShiftFactory(), UserFactory()
    signup = services.sign_up(person, shift, person)
    with time_machine.travel(aware(shift.starts_at) - timedelta(hours=20)):
        services.cancel_signup(person, signup)
    assert db.session.get(Signup, signup.id).state == PlaceState.RELEASED  # no mark against her
    assert count(AuditLog, AuditLog.action == "signup.released") == 1
    again = services.sign_up(person, shift, person)  # she can come after all
    with time_machine.travel(aware(shift.starts_at) + timedelta(minutes=5)):
        with pytest.raises(services.ShiftStarted):
            services.cancel_signup(person, again)
    assert db.session.get(Signup, again.id, populate_existing=True).state == PlaceState.BOOKED


def test_past_cancelled_and_members_only_shifts_refuse(app):
    person = UserFactory()
    cancelled = ShiftFactory(state="cancelled")
    with pytest.raises(services.ShiftClosed):
        services.sign_up(person, cancelled, person)
    shift = ShiftFactory()
    with time_machine.travel(aware(shift.starts_at) + timedelta(minutes=1)):
        with pytest.raises(services.ShiftClosed):
            services.sign_up(person, shift, person)
    private = ShiftFactory(campaign=CampaignFactory(public=False))
    with pytest.raises(services.NotEndorsed):
        services.sign_up(person, private, person)
    org = OrganisationFactory()
    member = MembershipFactory(organisation=org).user
    db.session.add(Endorsement(campaign_id=private.campaign_id, organisation_id=org.id))
    db.session.commit()
    services.sign_up(member, private, member)
    assert fresh(private).taken == 1 and fresh(shift).taken == 0 and fresh(cancelled).taken == 0


def test_staff_change_a_shift_everyone_is_told_and_more_places_go_to_the_waiting_list(app):
    staff = StaffFactory()
    shift = ShiftFactory(capacity=1)
    a, b, c = UserFactory(), UserFactory(), UserFactory()
    services.sign_up(a, shift, a)
    services.join_waitlist(b, shift, b)
    services.join_waitlist(c, shift, c)
    fields = dict(activity="rally", role="marshal", language="id", place="Victoria Park, Causeway Bay",
                  starts_at=shift.starts_at + timedelta(hours=1), ends_at=shift.ends_at + timedelta(hours=1),
                  map_url="", bring_keys=["water"], bring_note="", lead=None)
    with pytest.raises(services.BelowTaken):
        services.update_shift(staff, shift, capacity=0, **fields)
    told = services.update_shift(staff, fresh(shift), capacity=2, **fields)
    # The new place was offered to b (told by the offer); a and b (who now holds a place) hear of the change.
    assert told == 2 and fresh(shift).taken == 2 and fresh(shift).version == 1
    assert sorted(m.user_id for m in messages("shift_changed")) == sorted([a.id, b.id])
    assert all("Victoria Park" in m.body for m in messages("shift_changed"))
    with pytest.raises(NotAllowed):
        services.update_shift(a, fresh(shift), capacity=3, **fields)
    # Cancelled: everyone signed up, offered or waiting is told, and nothing is taken.
    assert services.cancel_shift(staff, fresh(shift)) == 3
    assert fresh(shift).taken == 0 and count(Signup, Signup.state == PlaceState.BOOKED) == 0
    assert sorted(m.user_id for m in messages("shift_cancelled")) == sorted([a.id, b.id, c.id])
    assert count(ShiftWait, ShiftWait.state.in_([WaitState.WAITING, WaitState.OFFERED])) == 0


def test_a_cancelled_campaign_cancels_its_shifts_to_come(app):
    staff, person = StaffFactory(), UserFactory()
    campaign = CampaignFactory()
    one = ShiftFactory(campaign=campaign)
    two = ShiftFactory(campaign=campaign, starts_at=one.starts_at + timedelta(days=2),
                       ends_at=one.ends_at + timedelta(days=2))
    services.sign_up(person, one, person)
    assert services.cancel_campaign(staff, campaign) == 1
    assert fresh(one).state == fresh(two).state == "cancelled"
    with pytest.raises(services.ShiftClosed):
        services.sign_up(person, fresh(two), person)


def test_reminders_go_the_day_before_at_ten_by_the_channel_she_chose(app):
    shift = ShiftFactory()  # a Sunday or not: the day before, 10:00 in Hong Kong
    by_sms = UserFactory(email="vol@example.org", phone="+85291110000")
    none = UserFactory()
    save_choices(by_sms, {"campaigns": "sms"})
    save_choices(none, {"campaigns": "none"})
    for p in (by_sms, none):
        services.sign_up(p, shift, p)
    remind = aware(shift.remind_at).astimezone(HK)
    assert remind.hour == 10 and remind.date() == aware(shift.starts_at).astimezone(HK).date() - timedelta(days=1)
    assert services.send_reminders() == 0  # not yet
    with time_machine.travel(aware(shift.remind_at) + timedelta(minutes=1)):
        assert services.send_reminders() == 1
        assert services.send_reminders() == 0  # once
    sms = messages("shift_reminder")
    assert [(m.channel, m.to_address) for m in sms] == [("sms", "+85291110000")]
    assert "Chater Road" in sms[0].body
    assert count(OutboxMessage, OutboxMessage.user_id == none.id) == 0


def test_the_lead_checks_in_adds_walk_ins_beyond_the_places_and_staff_approve_hours(app):
    lead, staff = UserFactory(), StaffFactory()
    shift = ShiftFactory(capacity=1, lead_id=lead.id)
    person, walker, stranger = UserFactory(), UserFactory(), UserFactory()
    signup = services.sign_up(person, shift, person)
    with pytest.raises(NotAllowed):
        services.check_in(stranger, signup, True)
    services.check_in(lead, signup, True)
    signup, beyond = services.add_walk_in(lead, fresh(shift), walker)  # the shift is full: the room decides
    assert beyond and signup.state == PlaceState.ATTENDED
    assert fresh(shift).taken == 2 and fresh(shift).capacity == 2
    first = db.session.scalar(select(Signup).where(Signup.user_id == person.id))
    services.set_hours(lead, first, 150)
    with pytest.raises(services.NotCame):
        services.set_hours(lead, services.check_in(lead, signup, False), 60)
    with pytest.raises(Exception):
        services.approve_hours(staff, fresh(shift))  # not before the shift began
    with time_machine.travel(aware(shift.ends_at) + timedelta(hours=1)):
        assert services.approve_hours(staff, fresh(shift)) == 1
    first = db.session.get(Signup, first.id, populate_existing=True)
    assert first.minutes == 150 and first.approved_by_id == staff.id
    with pytest.raises(services.HoursApproved):
        services.set_hours(lead, first, 10)


@pytest.mark.xdist_group("heavy")  # one test process at a time: 55 connections each, PostgreSQL allows 100
@pytest.mark.parametrize("round_", range(20))
def test_shift_places_are_never_exceeded_under_concurrency(app, crowd_app, round_):
    """50 volunteers sign up for one shift of 8 at the same moment, each on her own connection."""
    shift = ShiftFactory(capacity=8)
    ids = db.session.scalars(insert(User).returning(User.id), [
        dict(name=f"Crowd {round_}-{i}", phone=f"+8526{round_:02d}{i:05d}", locale="en", password_hash="x",
             is_enabled=True, auth_version=1) for i in range(50)]).all()
    db.session.commit()
    shift_id = shift.id
    db.session.remove()

    def attempt(person_id, go):
        person = db.session.get(User, person_id)
        row = db.session.get(Shift, shift_id)
        go()
        return services.sign_up_many(person, [row], person)[0].result

    outcomes = at_once(crowd_app, ids, attempt)
    assert len(outcomes) == 50
    assert outcomes.count("signed_up") == 8 and outcomes.count("waiting") == 42
    assert fresh(shift).taken == 8
    assert count(Signup, Signup.shift_id == shift_id, Signup.state == PlaceState.BOOKED) == 8
    assert count(ShiftWait, ShiftWait.shift_id == shift_id) == 42
