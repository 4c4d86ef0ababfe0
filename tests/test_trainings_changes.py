"""Trainings after booking: staff change a session, reminders, calendar files and feeds,
outreach requests, walk-ins."""
from datetime import date, datetime, time, timedelta, timezone

import pytest
import time_machine
from icalendar import Calendar
from sqlalchemy import func, select

from portal.accounts.models import CalendarFeed
from portal.audit import AuditLog
from portal.clock import HK, aware, utcnow
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from portal.trainings import services
from portal.trainings.models import (
    Booking, BookingState, OutreachRequest, OutreachState, TrainingSession, WaitlistEntry, WaitState,
)
from portal.web import NotAllowed
from tests.factories import (
    CourseFactory, MembershipFactory, OrganisationFactory, SessionFactory, StaffFactory, UserFactory,
)
from tests.helpers import post, sign_in


def fresh(obj):
    return db.session.get(type(obj), obj.id, populate_existing=True)


def messages(kind):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)).all()


def hk(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), HK).astimezone(timezone.utc)


def next_sunday(weeks=1) -> date:
    today = utcnow().astimezone(HK).date()
    return today + timedelta(days=(6 - today.weekday()) % 7 or 7) + timedelta(weeks=weeks - 1)


def edit(staff, ts, **changes):
    values = dict(starts_at=aware(ts.starts_at), ends_at=aware(ts.ends_at), capacity=ts.capacity,
                  deadline=aware(ts.deadline), venue=ts.venue, per_org_cap=ts.per_org_cap)
    values.update(changes)
    return services.update_session(staff, ts, **values)


# --- staff change a session ---

def test_a_new_time_tells_everyone_booked_in_their_language(app):
    staff, ts = StaffFactory(), SessionFactory(capacity=3)
    a, b = UserFactory(locale="fil"), UserFactory(locale="id")
    services.book(a, ts, a)
    services.book(b, ts, b)
    later = aware(ts.starts_at) + timedelta(days=7)
    told = edit(staff, ts, starts_at=later, ends_at=later + timedelta(hours=3),
                deadline=later - timedelta(days=2), venue="Bayanihan Centre, Kennedy Town")
    assert told == 2
    sent = messages("session_changed")
    assert {m.locale for m in sent} == {"fil", "id"} and all("Bayanihan Centre" in m.body for m in sent)
    ts = fresh(ts)
    assert aware(ts.starts_at) == later and ts.version == 1
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "session.updated")).one()
    assert set(row.details["changed"]) >= {"time", "venue", "deadline"} and row.details["told"] == 2


def test_more_places_go_to_the_waiting_list_at_once(app):
    staff, ts = StaffFactory(), SessionFactory(capacity=1)
    first, second, third = UserFactory(), UserFactory(), UserFactory()
    services.book(first, ts, first)
    services.join_waitlist(second, ts, second)
    services.join_waitlist(third, ts, third)
    assert edit(staff, ts, capacity=3) == 0  # places only: nobody booked needs telling
    entries = db.session.scalars(select(WaitlistEntry).order_by(WaitlistEntry.id)).all()
    assert [e.state for e in entries] == [WaitState.OFFERED, WaitState.OFFERED]
    assert fresh(ts).taken == 3 and len(messages("seat_offered")) == 2


def test_fewer_places_than_taken_is_refused_and_changes_nothing(app):
    staff, ts = StaffFactory(), SessionFactory(capacity=3)
    for person in (UserFactory(), UserFactory()):
        services.book(person, ts, person)
    with pytest.raises(services.BelowTaken):
        edit(staff, ts, capacity=1, venue="Elsewhere")
    db.session.rollback()
    ts = fresh(ts)
    assert ts.capacity == 3 and ts.venue != "Elsewhere"
    assert not db.session.scalars(select(AuditLog).where(AuditLog.action == "session.updated")).all()


def test_only_staff_change_and_not_a_cancelled_session(app):
    ts, leader = SessionFactory(), UserFactory()
    with pytest.raises(NotAllowed):
        edit(leader, ts, capacity=20)
    ts.state = "cancelled"
    db.session.commit()
    with pytest.raises(services.SessionOver):
        edit(StaffFactory(), ts, capacity=20)


def test_staff_edit_page_changes_and_refuses_in_the_users_language(client):
    staff, ts = StaffFactory(locale="id"), SessionFactory(capacity=2)
    person = UserFactory()
    services.book(person, ts, person)
    sign_in(client, staff)
    url = f"/staff/trainings/sessions/{ts.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'value="2"' in page  # filled from the session
    starts = aware(ts.starts_at).astimezone(HK)
    form = {"date": starts.date().isoformat(), "start": starts.strftime("%H:%M"),
            "end": (starts + timedelta(hours=2)).strftime("%H:%M"), "venue": "Chater Garden",
            "capacity": "0", "deadline_days": "2"}
    refused = post(client, url, form, page=url)
    assert refused.status_code == 422 and "1 sampai 1000" in refused.get_data(as_text=True)
    assert fresh(ts).venue != "Chater Garden"
    done = post(client, url, {**form, "capacity": "5"}, page=url)
    assert done.status_code == 303
    ts = fresh(ts)
    assert ts.venue == "Chater Garden" and ts.capacity == 5 and len(messages("session_changed")) == 1


# --- reminders ---

def test_reminder_time_is_the_friday_before_a_sunday_or_two_days_before():
    sunday = next_sunday()
    assert services.reminder_time(hk(sunday, 13)) == hk(sunday - timedelta(days=2), 10)
    wednesday = sunday + timedelta(days=3)
    assert services.reminder_time(hk(wednesday, 19)) == hk(wednesday, 19) - timedelta(days=2)


def test_reminders_go_once_on_friday_to_those_booked_before(app):
    sunday = next_sunday(2)
    ts = SessionFactory(starts_at=hk(sunday, 13), ends_at=hk(sunday, 16), deadline=hk(sunday, 13) - timedelta(days=1))
    early, cancelled = UserFactory(locale="fil"), UserFactory()
    services.book(early, ts, early)
    services.book(cancelled, ts, cancelled)
    services.cancel_booking(cancelled, db.session.scalars(select(Booking).where(Booking.user_id == cancelled.id)).one())
    assert services.send_reminders() == 0  # not yet
    with time_machine.travel(hk(sunday - timedelta(days=2), 11), tick=False):
        late = UserFactory()
        services.book(late, ts, late)  # booked after the reminder time: her confirmation is her reminder
        assert services.send_reminders() == 1
        assert services.send_reminders() == 0  # once only
    sent = messages("training_reminder")
    assert [m.user_id for m in sent] == [early.id] and sent[0].locale == "fil"
    assert db.session.scalars(select(AuditLog).where(AuditLog.action == "session.reminded")).one().details == {"told": 1}


def test_a_moved_session_is_reminded_again_before_its_new_date(app):
    sunday = next_sunday(1)
    ts = SessionFactory(starts_at=hk(sunday, 13), ends_at=hk(sunday, 16), deadline=hk(sunday, 13) - timedelta(days=1))
    person = UserFactory()
    services.book(person, ts, person)
    with time_machine.travel(hk(sunday - timedelta(days=2), 11), tick=False):
        assert services.send_reminders() == 1
        later = hk(sunday + timedelta(days=7), 13)
        edit(StaffFactory(), ts, starts_at=later, ends_at=later + timedelta(hours=3), deadline=later - timedelta(days=1))
        assert services.send_reminders() == 0
    with time_machine.travel(hk(sunday + timedelta(days=5), 11), tick=False):
        assert services.send_reminders() == 1


def test_the_worker_runs_the_reminders(app):
    from portal.cli import PERIODIC_JOBS
    assert services.reminders_job in PERIODIC_JOBS


# --- calendar ---

def test_booking_calendar_file_has_the_training_and_nothing_personal(client):
    ts = SessionFactory(course=CourseFactory(title="Know your contract"), venue="Mission office, Central")
    person = UserFactory(name="Siti Rahayu")
    booking = services.book(person, ts, person)
    sign_in(client, person)
    response = client.get(f"/trainings/bookings/{booking.id}/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"
    cal = Calendar.from_ical(response.data)
    event = cal.events[0]
    assert str(event["SUMMARY"]) == "Know your contract" and str(event["LOCATION"]) == "Mission office, Central"
    assert event.start == aware(ts.starts_at) and event.end == aware(ts.ends_at)
    contact = (person.email or person.phone).encode()
    assert b"Siti" not in response.data and contact not in response.data
    post(client, "/auth/logout")
    sign_in(client, UserFactory())
    assert client.get(f"/trainings/bookings/{booking.id}/calendar.ics").status_code == 403


def test_calendar_feed_lists_her_trainings_and_stops_when_renewed(client):
    person = UserFactory(locale="fil")
    mine, cancelled, not_mine = SessionFactory(), SessionFactory(), SessionFactory()
    mine.starts_at = aware(mine.starts_at) + timedelta(days=1)
    mine.ends_at = aware(mine.ends_at) + timedelta(days=1)
    db.session.commit()
    services.book(person, mine, person)
    services.book(person, cancelled, person)
    services.cancel_session(StaffFactory(), cancelled)
    sign_in(client, person)
    assert post(client, "/trainings/calendar", page="/trainings/mine").status_code == 303
    token = db.session.get(CalendarFeed, person.id).token
    assert token in client.get("/trainings/mine").get_data(as_text=True)
    post(client, "/auth/logout")
    feed = client.get(f"/trainings/calendar/{token}.ics")  # calendar apps do not sign in
    assert feed.status_code == 200
    events = Calendar.from_ical(feed.data).events
    assert sorted(str(e["STATUS"]) for e in events) == ["CANCELLED", "CONFIRMED"]
    assert {str(e["UID"]) for e in events} == {f"booking-{b.id}@mission-portal" for b in
                                               db.session.scalars(select(Booking).where(Booking.user_id == person.id))}
    sign_in(client, person)
    post(client, "/trainings/calendar", {"renew": "1"}, page="/trainings/mine")
    assert client.get(f"/trainings/calendar/{token}.ics").status_code == 404  # the old address stopped
    new = db.session.get(CalendarFeed, person.id, populate_existing=True).token
    assert new != token and client.get(f"/trainings/calendar/{new}.ics").status_code == 200
    post(client, "/trainings/calendar/stop", page="/trainings/mine")
    assert client.get(f"/trainings/calendar/{new}.ics").status_code == 404
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.action.like("calendar.%"))).all()
    assert actions == ["calendar.created", "calendar.renewed", "calendar.stopped"]


def test_a_changed_session_gets_a_higher_calendar_sequence(app):
    ts, person = SessionFactory(), UserFactory()
    booking = services.book(person, ts, person)
    from portal.calendar import booking_ics
    with app.test_request_context():
        before = Calendar.from_ical(booking_ics(booking, "en")).events[0]
        edit(StaffFactory(), ts, venue="A new hall")
        after = Calendar.from_ical(booking_ics(fresh(booking), "en")).events[0]
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"]) and str(after["LOCATION"]) == "A new hall"


# --- outreach ---

@pytest.fixture
def leader_org(app):
    org = OrganisationFactory()
    return org.created_by, org


def test_leader_asks_staff_accept_and_a_session_for_her_organisation_is_made(app, leader_org):
    leader, org = leader_org
    leader.locale = "id"
    db.session.commit()
    sundays = [next_sunday(3), next_sunday(2)]
    req = services.request_outreach(leader, org, "wite", "id", 25, sundays, "Near the Star Ferry")
    assert req.sundays == sorted(sundays) and req.state == OutreachState.PENDING
    staff, course = StaffFactory(), CourseFactory(programme="wite", title="Safe at work")
    ts = services.accept_outreach(staff, req, course, hk(sundays[1], 13), hk(sundays[1], 16), 25)
    req = fresh(req)
    assert req.state == OutreachState.ACCEPTED and req.session_id == ts.id and ts.organisation_id == org.id
    msg = messages("outreach_accepted")[0]
    assert msg.user_id == leader.id and msg.locale == "id" and org.name in msg.body
    with pytest.raises(services.StateChanged):  # a second answer, e.g. from another staff member
        services.decline_outreach(staff, req, "other")
    assert [a for a in db.session.scalars(select(AuditLog.action).where(AuditLog.action.like("outreach.%")))] \
        == ["outreach.requested", "outreach.accepted"]
    outsider = UserFactory()
    with pytest.raises(services.ForAnotherOrganisation):
        services.book(outsider, ts, outsider)


def test_decline_tells_the_reason_in_her_language(app, leader_org):
    leader, org = leader_org
    leader.locale = "fil"
    db.session.commit()
    req = services.request_outreach(leader, org, "leap", "fil", 12, [next_sunday(2), next_sunday(3)])
    services.decline_outreach(StaffFactory(), req, "no_trainer", "Try January")
    req = fresh(req)
    assert req.state == OutreachState.DECLINED and req.decline_note == "Try January"
    msg = messages("outreach_declined")[0]
    assert msg.locale == "fil" and "Try January" not in msg.body and org.name in msg.body
    assert "No trainer" not in msg.body  # the reason is in Filipino


@pytest.mark.parametrize("days", [
    lambda: [next_sunday(1) + timedelta(days=1), next_sunday(2)],          # a Monday
    lambda: [next_sunday(1) - timedelta(days=7), next_sunday(2)],          # a past Sunday
    lambda: [next_sunday(2), next_sunday(2)],                              # twice the same
    lambda: [next_sunday(2)],                                              # only one
])
def test_outreach_wants_two_or_three_coming_sundays(app, leader_org, days):
    leader, org = leader_org
    with pytest.raises(services.NotSundays):
        services.request_outreach(leader, org, "leap", "fil", 12, days())
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(OutreachRequest)) == 0


def test_only_leaders_of_approved_organisations_ask(app, leader_org):
    leader, org = leader_org
    member = UserFactory()
    MembershipFactory(organisation=org, user=member)
    with pytest.raises(NotAllowed):
        services.request_outreach(member, org, "leap", "fil", 12, [next_sunday(2), next_sunday(3)])
    pending = OrganisationFactory(state="pending")
    with pytest.raises(NotAllowed):
        services.request_outreach(pending.created_by, pending, "leap", "fil", 12, [next_sunday(2), next_sunday(3)])


def test_outreach_over_http_ask_withdraw_and_staff_decline(client, leader_org):
    leader, org = leader_org
    sign_in(client, leader)
    url = "/trainings/outreach/new"
    form = {"organisation_id": str(org.id), "programme": "pcsw", "language": "fil", "expected": "15",
            "sunday_1": (next_sunday(2) + timedelta(days=1)).isoformat(), "sunday_2": next_sunday(3).isoformat()}
    refused = post(client, url, form, page=url)
    assert refused.status_code == 422 and "Choose a Sunday." in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(OutreachRequest)) == 0
    assert post(client, url, {**form, "sunday_1": next_sunday(2).isoformat()}, page=url).status_code == 303
    req = db.session.scalars(select(OutreachRequest)).one()
    assert "Waiting for the Mission" in client.get("/trainings/outreach").get_data(as_text=True)
    post(client, "/auth/logout")
    sign_in(client, StaffFactory())
    listing = client.get("/staff/trainings/outreach").get_data(as_text=True)
    assert org.name in listing
    page = f"/staff/trainings/outreach/{req.id}"
    assert post(client, f"{page}/decline", {"reason": "too_few"}, page=page).status_code == 303
    post(client, "/auth/logout")
    sign_in(client, leader)
    mine = client.get("/trainings/outreach").get_data(as_text=True)
    assert "Too few people" in mine and "Withdraw" not in mine


def test_staff_accept_over_http_with_bad_time_changes_nothing(client, leader_org):
    leader, org = leader_org
    req = services.request_outreach(leader, org, "leap", "fil", 12, [next_sunday(2), next_sunday(3)])
    course = CourseFactory()
    sign_in(client, StaffFactory())
    page = f"/staff/trainings/outreach/{req.id}"
    form = {"course_id": str(course.id), "date": next_sunday(2).isoformat(), "start": "13:00", "end": "12:00",
            "capacity": "12"}
    refused = post(client, f"{page}/accept", form, page=page)
    assert refused.status_code == 422 and fresh(req).state == OutreachState.PENDING
    past = post(client, f"{page}/accept", {**form, "end": "16:00", "date": "2020-01-05"}, page=page)
    assert past.status_code == 422 and "Choose a date after today." in past.get_data(as_text=True)
    assert fresh(req).state == OutreachState.PENDING
    done = post(client, f"{page}/accept", {**form, "end": "16:00"}, page=page)
    assert done.status_code == 303
    ts = db.session.scalars(select(TrainingSession)).one()
    assert ts.organisation_id == org.id and aware(ts.starts_at) == hk(next_sunday(2), 13)


# --- walk-ins and leaders' refusals ---

def test_staff_add_a_walk_in_by_phone_or_email(client):
    ts, staff, person = SessionFactory(capacity=1), StaffFactory(), UserFactory()
    sign_in(client, staff)
    page = f"/staff/trainings/sessions/{ts.id}/attendance"
    unknown = post(client, f"/staff/trainings/sessions/{ts.id}/walk-in", {"identifier": "nobody@example.org"}, page=page)
    assert unknown.status_code == 422 and "Nobody is registered" in unknown.get_data(as_text=True)
    done = post(client, f"/staff/trainings/sessions/{ts.id}/walk-in", {"identifier": person.email or person.phone}, page=page)
    assert done.status_code == 303
    booking = db.session.scalars(select(Booking)).one()
    assert booking.user_id == person.id and booking.state == BookingState.ATTENDED and fresh(ts).taken == 1
    # Full now: the form stays (the room decides), with the warning that a walk-in is one place more.
    html = client.get(page).get_data(as_text=True)
    assert "The session is full: a walk-in is one more than its places." in html and 'id="walk-in"' in html


def test_leader_sees_why_a_member_was_not_booked_in_one_sentence(client, leader_org):
    leader, org = leader_org
    member = UserFactory(name="Maria Santos")
    MembershipFactory(organisation=org, user=member)
    ts = SessionFactory()
    services.book(member, ts, member)
    sign_in(client, leader)
    post(client, f"/trainings/{ts.id}/book-members", {"organisation_id": str(org.id), "member": str(member.id)},
         page=f"/trainings/{ts.id}")
    html = client.get(f"/trainings/{ts.id}").get_data(as_text=True)
    assert "Not booked: Maria Santos. This person already has a place in this training." in html


# --- courses: prerequisites and changes ---

def attended(person, course):
    past = SessionFactory(course=course)
    db.session.add(Booking(session_id=past.id, user_id=person.id, state=BookingState.ATTENDED))
    db.session.commit()


def test_a_course_with_a_prerequisite_is_booked_only_after_attending_it(app):
    staff = StaffFactory()
    basics = CourseFactory(title="Paralegal basics")
    advanced = services.create_course(staff, "leap", "fil", {"en": ("Paralegal advanced", "")}, [basics])
    ts, person = SessionFactory(course=advanced, capacity=1), UserFactory()
    with pytest.raises(services.PrerequisiteMissing) as refused:
        services.book(person, ts, person)
    assert "Paralegal basics" in str(refused.value.message)
    db.session.rollback()
    assert fresh(ts).taken == 0
    attended(person, basics)
    services.book(person, ts, person)
    other = UserFactory()
    with pytest.raises(services.PrerequisiteMissing):  # nor on its waiting list
        services.join_waitlist(other, ts, other)


def test_a_course_cannot_require_itself_in_a_loop(app):
    staff = StaffFactory()
    a = CourseFactory(title="A")
    b = services.create_course(staff, "leap", "en", {"en": ("B", "")}, [a])
    with pytest.raises(services.PrerequisiteLoop):
        services.update_course(staff, a, "leap", "en", {"en": ("A", "")}, [b])
    db.session.rollback()
    assert fresh(a).prerequisites == []


def test_staff_change_a_course_over_http(client):
    staff, course = StaffFactory(), CourseFactory(title="Know your contract")
    basics = CourseFactory(title="Before anything")
    sign_in(client, staff)
    url = f"/staff/trainings/courses/{course.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'value="Know your contract"' in page and "Before anything" in page
    form = {"programme": "leap", "language": "id", "title_en": "Know your contract", "title_id": "Kenali kontrak",
            "prerequisites": str(basics.id)}
    assert post(client, url, {**form, "title_en": ""}, page=url).status_code == 422
    assert post(client, url, form, page=url).status_code == 303
    course = fresh(course)
    assert course.language == "id" and {t.locale for t in course.texts} == {"en", "id"}
    assert [c.id for c in course.prerequisites] == [basics.id]
    assert "Before anything" in client.get(f"/trainings/{SessionFactory(course=course).id}").get_data(as_text=True)
    assert db.session.scalars(select(AuditLog.action).where(AuditLog.action == "course.updated")).one()


def test_the_pager_keeps_the_filters_and_the_page_arguments(client):
    course = CourseFactory(programme="wite")
    for _ in range(21):
        SessionFactory(course=course)
    html = client.get("/trainings/?programme=wite").get_data(as_text=True)
    assert "Page 1 of 2" in html and 'href="/trainings/?programme=wite&amp;page=2"' in html
    html = client.get("/trainings/?programme=wite&page=2").get_data(as_text=True)
    assert 'href="/trainings/?programme=wite&amp;page=1"' in html and "Next" not in html.split('class="pager"')[1]


def test_the_session_page_lists_the_courses_materials(client):
    from tests.factories import MaterialFactory, MaterialVersionFactory
    ts = SessionFactory()
    MaterialVersionFactory(material=MaterialFactory(title="Contract checklist", course_id=ts.course_id))
    MaterialVersionFactory(material=MaterialFactory(title="Another course's sheet", course_id=CourseFactory().id))
    html = client.get(f"/trainings/{ts.id}").get_data(as_text=True)
    assert "Contract checklist" in html and "Read the text version" in html and "Another course" not in html


def test_the_catalogue_filters_by_day_in_hong_kong(client):
    day = next_sunday(2)
    SessionFactory(starts_at=hk(day, 9), ends_at=hk(day, 11), course=CourseFactory(title="Morning of the day"))
    SessionFactory(starts_at=hk(day, 23), ends_at=hk(day, 23) + timedelta(minutes=50),
                   course=CourseFactory(title="Late that night"))
    SessionFactory(starts_at=hk(day + timedelta(days=1), 0), ends_at=hk(day + timedelta(days=1), 2),
                   course=CourseFactory(title="Just after midnight"))
    html = client.get(f"/trainings/?day={day.isoformat()}").get_data(as_text=True)
    assert "Morning of the day" in html and "Late that night" in html and "Just after midnight" not in html
    html = client.get("/trainings/?day=not-a-date").get_data(as_text=True)  # refused filters: everything
    assert "Just after midnight" in html and "Morning of the day" in html
