"""Campaigns over HTTP, as volunteers, leaders and staff use them."""
import re
from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from portal.notifications.services import choices_of
from portal.campaigns import services
from portal.campaigns.models import Campaign, Endorsement, MediaConsent, Shift, ShiftWait, Signup
from portal.capacity import PlaceState, WaitState
from portal.catalogue import next_sundays
from portal.clock import aware, utcnow
from portal.extensions import db
from portal.trainings import services as trainings
from tests.factories import (
    CampaignFactory, MembershipFactory, OrganisationFactory, SessionFactory, ShiftFactory, StaffFactory, UserFactory,
    future,
)
from tests.helpers import post, sign_in


def sunday(i=0, hour=13):
    start, _ = next_sundays(utcnow())[i]
    return start + timedelta(hours=hour)


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_list_shows_the_next_sundays_first_and_filters_with_htmx(client):
    k = 0 if sunday(0) > utcnow() + timedelta(hours=1) else 1
    weekday = ShiftFactory(starts_at=aware(sunday(k)) + timedelta(days=3), place="Weekday place")
    ShiftFactory(starts_at=sunday(k + 1), place="Second Sunday place", role="marshal")
    ShiftFactory(starts_at=sunday(k), place="First Sunday place", language="id")
    html = client.get("/campaigns/").get_data(as_text=True)
    assert html.index("The next Sundays") < html.index("First Sunday place") < html.index("Second Sunday place") \
        < html.index("Other dates") < html.index("Weekday place")
    assert weekday.campaign.title in html  # the campaigns are listed, and each card names its own
    answer = client.get("/campaigns/?role=marshal", headers={"HX-Request": "true"})
    body = answer.get_data(as_text=True)
    assert "Second Sunday place" in body and "First Sunday place" not in body and "<html" not in body
    body = client.get("/campaigns/?language=id").get_data(as_text=True)
    assert "First Sunday place" in body and "Second Sunday place" not in body
    body = client.get(f"/campaigns/?campaign={weekday.campaign_id}").get_data(as_text=True)
    assert "Weekday place" in body and "First Sunday place" not in body
    # A filter value that is not one: the whole list, and why.
    assert client.get("/campaigns/?day=someday").status_code == 200


def test_members_only_campaigns_are_hidden_from_others(client):
    private = ShiftFactory(campaign=CampaignFactory(public=False), place="Members only place")
    assert "Members only place" not in client.get("/campaigns/").get_data(as_text=True)
    assert client.get(f"/campaigns/{private.campaign_id}").status_code == 404
    assert client.get(f"/campaigns/shifts/{private.id}").status_code == 404
    org = OrganisationFactory()
    member = MembershipFactory(organisation=org).user
    db.session.add(Endorsement(campaign_id=private.campaign_id, organisation_id=org.id, show_name=True))
    db.session.commit()
    sign_in(client, member)
    assert "Members only place" in client.get("/campaigns/").get_data(as_text=True)
    page = client.get(f"/campaigns/{private.campaign_id}").get_data(as_text=True)
    assert org.name in page


def test_a_volunteer_signs_up_for_two_shifts_in_one_go_and_a_third_that_clashes_is_refused(client):
    person = UserFactory()
    a = ShiftFactory(place="Chater Road")
    b = ShiftFactory(starts_at=a.starts_at + timedelta(days=7), ends_at=a.ends_at + timedelta(days=7),
                     place="Victoria Park")
    clash = ShiftFactory(starts_at=a.starts_at + timedelta(hours=1), ends_at=a.ends_at + timedelta(hours=1),
                         place="Statue Square")
    sign_in(client, person)
    response = post(client, "/campaigns/sign-up", {"shift": [str(a.id), str(b.id), str(clash.id)]},
                    page="/campaigns/", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Signed up:" in html and "Not signed up:" in html and "already has a place at that time" in html
    assert count(Signup, Signup.user_id == person.id, Signup.state == PlaceState.BOOKED) == 2
    assert db.session.get(Shift, clash.id).taken == 0
    mine = client.get("/campaigns/mine").get_data(as_text=True)
    assert mine.index("Chater Road") < mine.index("Victoria Park")


def test_nothing_chosen_or_a_stale_form_changes_nothing(client):
    person, shift = UserFactory(), ShiftFactory()
    sign_in(client, person)
    html = post(client, "/campaigns/sign-up", {"shift": []}, follow_redirects=True).get_data(as_text=True)
    assert "Choose at least one shift." in html
    html = client.post("/campaigns/sign-up", data={"shift": str(shift.id), "csrf_token": "stale"},
                       follow_redirects=True).get_data(as_text=True)
    assert "This form has expired" in html and count(Signup) == 0
    # A double tap: one place.
    for _ in range(2):
        post(client, f"/campaigns/shifts/{shift.id}/sign-up")
    assert count(Signup) == 1 and db.session.get(Shift, shift.id).taken == 1


def test_a_full_shift_offers_its_waiting_list_and_a_freed_place_is_held_for_her(client):
    shift = ShiftFactory(capacity=1)
    first, second = UserFactory(), UserFactory()
    sign_in(client, first)
    post(client, f"/campaigns/shifts/{shift.id}/sign-up")
    second_client = client.application.test_client()
    sign_in(second_client, second)
    page = second_client.get(f"/campaigns/shifts/{shift.id}").get_data(as_text=True)
    assert "Join the waiting list" in page and "Sign me up" not in page
    post(second_client, f"/campaigns/shifts/{shift.id}/waitlist")
    assert "number 1 on the waiting list" in second_client.get(f"/campaigns/shifts/{shift.id}").get_data(as_text=True)
    signup = db.session.scalar(select(Signup).where(Signup.user_id == first.id))
    post(client, f"/campaigns/signups/{signup.id}/cancel")  # a week ahead: given back, held for the next
    page = second_client.get(f"/campaigns/shifts/{shift.id}").get_data(as_text=True)
    assert "A place is held for you until" in page
    entry = db.session.scalar(select(ShiftWait).where(ShiftWait.user_id == second.id))
    post(second_client, f"/campaigns/waitlist/{entry.id}/accept")
    assert db.session.scalar(select(Signup.state).where(Signup.user_id == second.id)) == PlaceState.BOOKED
    assert db.session.get(ShiftWait, entry.id).state == WaitState.ACCEPTED


def test_day_off_cancelled_close_to_the_start(client):
    person = UserFactory()
    shift = ShiftFactory(starts_at=utcnow() + timedelta(hours=30), ends_at=utcnow() + timedelta(hours=33))
    sign_in(client, person)
    post(client, f"/campaigns/shifts/{shift.id}/sign-up")
    page = client.get(f"/campaigns/shifts/{shift.id}").get_data(as_text=True)
    assert "My day off was cancelled" in page
    signup = db.session.scalar(select(Signup))
    html = post(client, f"/campaigns/signups/{signup.id}/cancel", follow_redirects=True).get_data(as_text=True)
    assert "The place is given back" in html
    assert db.session.get(Signup, signup.id).state == PlaceState.RELEASED


def test_a_leader_signs_up_three_members_and_not_a_stranger(client):
    org = OrganisationFactory()
    members = [MembershipFactory(organisation=org).user for _ in range(3)]
    stranger = UserFactory()
    shift = ShiftFactory(capacity=5)
    sign_in(client, org.created_by)
    page = client.get(f"/campaigns/shifts/{shift.id}").get_data(as_text=True)
    assert "Sign up members of your organisation" in page and "5 places left" in page
    html = post(client, f"/campaigns/shifts/{shift.id}/members",
                {"organisation_id": str(org.id), "member": [str(m.id) for m in members] + [str(stranger.id)]},
                follow_redirects=True).get_data(as_text=True)
    assert all(m.name in html for m in members)
    assert count(Signup, Signup.organisation_id == org.id) == 3 and count(Signup, Signup.user_id == stranger.id) == 0
    other = OrganisationFactory()
    assert post(client, f"/campaigns/shifts/{shift.id}/members",
                {"organisation_id": str(other.id), "member": [str(stranger.id)]}).status_code == 403


def test_her_channel_for_shift_messages(client):
    person = UserFactory(phone="+85291234567")
    sign_in(client, person)
    assert post(client, "/campaigns/mine/messages", {"campaigns": "sms"}).status_code == 303
    assert choices_of(person) == {"campaigns": "sms"}
    assert post(client, "/campaigns/mine/messages", {"campaigns": "pigeon"}).status_code == 422
    # WhatsApp only once she has agreed to it, on her account's page
    assert post(client, "/campaigns/mine/messages", {"campaigns": "whatsapp"}).status_code == 422
    assert choices_of(person) == {"campaigns": "sms"}


def test_staff_create_a_campaign_add_a_shift_change_it_and_cancel_it(client):
    staff, lead = StaffFactory(), UserFactory(phone="+85291230001")
    sign_in(client, staff)
    day = (utcnow() + timedelta(days=10)).date()
    response = post(client, "/staff/campaigns/new", {
        "title_en": "Minimum allowable wage", "title_fil": "Pinakamababang sahod", "description_en": "Raise it.",
        "starts_on": day.isoformat(), "ends_on": (day + timedelta(days=30)).isoformat(), "public": "y"},
        page="/staff/campaigns/new")
    assert response.status_code == 303
    campaign = db.session.scalars(select(Campaign)).one()
    bad = post(client, f"/staff/campaigns/{campaign.id}/shifts/new", {
        "activity": "leafleting", "role": "leafleter", "language": "fil", "place": "Chater Road",
        "map_url": "javascript:alert(1)", "date": day.isoformat(), "start": "10:00", "end": "09:00", "capacity": "8"})
    assert bad.status_code == 422 and count(Shift) == 0
    good = post(client, f"/staff/campaigns/{campaign.id}/shifts/new", {
        "activity": "leafleting", "role": "leafleter", "language": "fil", "place": "Chater Road",
        "map_url": "https://www.openstreetmap.org/", "date": day.isoformat(), "start": "10:00", "end": "13:00",
        "capacity": "8", "bring": ["water", "umbrella"], "lead": "+852 9123 0001"})
    assert good.status_code == 303, re.findall(r'class="err">([^<]*)|<li>([^<]*)</li>', good.get_data(as_text=True))
    shift = db.session.scalars(select(Shift)).one()
    assert shift.lead_id == lead.id and shift.bring_keys == ["water", "umbrella"]
    page = client.get(f"/campaigns/shifts/{shift.id}").get_data(as_text=True)
    assert "Umbrella or hat" in page and "https://www.openstreetmap.org/" in page
    volunteer = UserFactory()
    services.sign_up(volunteer, shift, volunteer)
    html = post(client, f"/staff/campaigns/shifts/{shift.id}/edit", {
        "activity": "leafleting", "role": "leafleter", "language": "fil", "place": "Statue Square",
        "date": day.isoformat(), "start": "10:00", "end": "13:00", "capacity": "8"},
        follow_redirects=True).get_data(as_text=True)
    assert "1 person was told" in html
    html = post(client, f"/staff/campaigns/shifts/{shift.id}/cancel").get_data(as_text=True)
    assert "Cancel this shift and tell everyone signed up?" in html and "1 signed up" in html  # asked once
    assert db.session.get(Shift, shift.id).state != "cancelled"
    html = post(client, f"/staff/campaigns/shifts/{shift.id}/cancel", {"sure": "1"},
                follow_redirects=True).get_data(as_text=True)
    assert "The shift was cancelled" in html
    assert db.session.get(Shift, shift.id).state == "cancelled"
    assert count(Signup, Signup.state == PlaceState.BOOKED) == 0


def test_a_training_shows_beside_a_clashing_shift_refusal(client):
    person = UserFactory()
    ts = SessionFactory()
    trainings.book(person, ts, person)
    shift = ShiftFactory(starts_at=ts.starts_at, ends_at=ts.ends_at)
    sign_in(client, person)
    html = post(client, f"/campaigns/shifts/{shift.id}/sign-up", follow_redirects=True).get_data(as_text=True)
    assert ts.course.title in html and count(Signup) == 0


def test_the_lead_checks_people_in_on_a_phone_and_staff_approve_the_hours(client):
    lead, staff, volunteer, walker = UserFactory(), StaffFactory(), UserFactory(), UserFactory(phone="+85291230002")
    shift = ShiftFactory(capacity=1, lead_id=lead.id, place="Chater Road")
    signup = services.sign_up(volunteer, shift, volunteer)
    sign_in(client, volunteer)
    assert client.get(f"/campaigns/shifts/{shift.id}/check-in").status_code == 403  # not her shift to lead
    lead_client = client.application.test_client()
    sign_in(lead_client, lead)
    assert "Shifts I lead" in lead_client.get("/campaigns/mine").get_data(as_text=True)
    row = post(lead_client, f"/campaigns/signups/{signup.id}/check-in", {"present": "1"},
               page=f"/campaigns/shifts/{shift.id}/check-in", headers={"HX-Request": "true"})
    body = row.get_data(as_text=True)
    assert row.status_code == 200 and f'id="signup-{signup.id}"' in body and 'aria-pressed="true"' in body
    assert "<html" not in body
    html = post(lead_client, f"/campaigns/shifts/{shift.id}/walk-in", {"identifier": "+852 9123 0002"},
                follow_redirects=True).get_data(as_text=True)
    assert "was added as present" in html and "one more than the places" in html
    post(lead_client, f"/campaigns/signups/{signup.id}/hours", {"hours": "2.5"})
    assert db.session.get(Signup, signup.id).minutes == 150
    bad = post(lead_client, f"/campaigns/signups/{signup.id}/hours", {"hours": "99"}, follow_redirects=True)
    assert "Write between 0 and 24 hours." in bad.get_data(as_text=True)
    assert db.session.get(Signup, signup.id).minutes == 150
    staff_client = client.application.test_client()
    with time_machine.travel(aware(shift.ends_at) + timedelta(hours=1)):
        sign_in(staff_client, staff)
        html = post(staff_client, f"/staff/campaigns/shifts/{shift.id}/approve-hours",
                    follow_redirects=True).get_data(as_text=True)
        sign_in(client, volunteer)  # a week later: she signs in again
        mine = client.get("/campaigns/hours").get_data(as_text=True)
        csv = staff_client.get("/staff/campaigns/hours.csv")
        staff_page = staff_client.get("/staff/campaigns/hours").get_data(as_text=True)
    assert "Hours of 2 people approved." in html
    assert "Approved hours: 2.5" in mine and "Approved" in mine
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    text = csv.get_data(as_text=True)
    assert volunteer.name in text and walker.name in text and "2.5" in text
    assert volunteer.name in staff_page


def test_her_shift_in_a_calendar_file_and_in_her_feed_beside_her_trainings(client):
    from icalendar import Calendar
    person = UserFactory(locale="fil")
    shift = ShiftFactory(role="marshal", place="Victoria Park")
    ts = SessionFactory(starts_at=shift.starts_at + timedelta(days=1), ends_at=shift.ends_at + timedelta(days=1))
    signup = services.sign_up(person, shift, person)
    trainings.book(person, ts, person)
    sign_in(client, person)
    response = client.get(f"/campaigns/signups/{signup.id}/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "private, no-store"
    (event,) = Calendar.from_ical(response.data).events
    assert event["LOCATION"] == "Victoria Park" and "Marshal" in str(event["SUMMARY"])
    text = response.get_data(as_text=True)
    assert shift.campaign.title not in text and person.name not in text  # an employer may read the phone
    post(client, "/trainings/calendar", page="/trainings/mine")
    from portal.accounts.models import CalendarFeed
    token = db.session.get(CalendarFeed, person.id).token
    events = Calendar.from_ical(client.get(f"/trainings/calendar/{token}.ics").data).events
    assert [str(e["LOCATION"]) for e in events] == ["Victoria Park", ts.venue]  # in order of time
    other = client.application.test_client()
    sign_in(other, UserFactory())
    assert other.get(f"/campaigns/signups/{signup.id}/calendar.ics").status_code == 403


def test_public_pages_never_show_a_real_name_without_her_consent(client):
    """Every public campaign page, as anyone and as another volunteer, searched for every volunteer's real
    name: only she who allowed it is named; a chosen name shows instead of hers; the rest are counted."""
    campaign = CampaignFactory()
    shifts = [ShiftFactory(campaign=campaign), ShiftFactory(campaign=campaign, starts_at=future(14),
                                                             ends_at=future(14) + timedelta(hours=2))]
    org = OrganisationFactory()
    hidden = [UserFactory(name="Maricel Hidden"), UserFactory(name="Sri Hidden")]
    named, pseudo = UserFactory(name="Rowena Named"), UserFactory(name="Lorna Pseudo")
    member = MembershipFactory(organisation=org, user=UserFactory(name="Wati Member")).user
    for i, person in enumerate([*hidden, named, pseudo]):
        services.sign_up(person, shifts[i % 2], person)
    services.sign_up(org.created_by, shifts[0], member, org)  # by her leader
    services.set_media_consent(named, campaign, photos=True, named=True, pseudonym="")
    services.set_media_consent(pseudo, campaign, photos=False, named=False, pseudonym="Bituin")
    services.set_media_consent(hidden[1], campaign, photos=True, named=False, pseudonym="")
    secret = [p.name for p in (*hidden, pseudo, member)]
    pages = ["/campaigns/", f"/campaigns/{campaign.id}", f"/c/{campaign.code}",
             *(f"/campaigns/shifts/{s.id}" for s in shifts)]
    other = client.application.test_client()
    sign_in(other, UserFactory())
    for reader in (client, other):
        for url in pages:
            response = reader.get(url)
            html = response.get_data(as_text=True)
            assert response.status_code == 200, url
            leaked = [n for n in secret if n in html]
            assert not leaked, (url, leaked)
    page = client.get(f"/c/{campaign.code}").get_data(as_text=True)
    assert "5 volunteers are coming: Rowena Named, Bituin and 3 more" in page  # the rest only counted
    assert f'<meta property="og:title" content="{campaign.title}">' in page
    head = page.split("</head>")[0]
    assert all(src.startswith("/static/") for src in re.findall(r'<script src="([^"]+)"', head))  # ours only


def test_a_leader_endorses_a_campaign_and_its_members_see_it(client):
    org = OrganisationFactory()
    member = MembershipFactory(organisation=org).user
    private = CampaignFactory(public=False, title="Members only campaign")
    assert client.get(f"/c/{private.code}").status_code == 404  # no short link: not public
    sign_in(client, org.created_by)
    assert "Members only campaign" in client.get(f"/campaigns/{private.id}").get_data(as_text=True)
    post(client, f"/campaigns/{private.id}/endorse", {"organisation_id": str(org.id), "show_name": "y",
                                                       "committed": "12"}, page=f"/campaigns/{private.id}")
    e = db.session.scalars(select(Endorsement)).one()
    assert e.show_name and e.committed == 12
    member_client = client.application.test_client()
    sign_in(member_client, member)
    page = member_client.get(f"/campaigns/{private.id}").get_data(as_text=True)
    assert org.name in page
    bad = post(client, f"/campaigns/{private.id}/endorse", {"organisation_id": str(org.id), "committed": "-3"},
               follow_redirects=True)
    assert db.session.get(Endorsement, e.id).committed == 12 and "from 0 to 10000" in bad.get_data(as_text=True)
    post(client, f"/campaigns/endorsements/{e.id}/withdraw")
    assert member_client.get(f"/campaigns/{private.id}").status_code == 404
    stranger = member_client  # a member is not her organisation's leader
    assert post(stranger, f"/campaigns/{private.id}/endorse", {"organisation_id": str(org.id)}).status_code == 404


def test_she_chooses_what_may_be_shown_and_a_pseudonym_is_not_her_own_name(client):
    person = UserFactory(name="Cecilia Ramos")
    shift = ShiftFactory()
    services.sign_up(person, shift, person)
    sign_in(client, person)
    page = client.get(f"/campaigns/{shift.campaign_id}").get_data(as_text=True)
    assert "Photos and your name" in page
    refused = post(client, f"/campaigns/{shift.campaign_id}/media", {"pseudonym": "cecilia  ramos"})
    assert refused.status_code == 422 and count(MediaConsent) == 0
    post(client, f"/campaigns/{shift.campaign_id}/media", {"photos": "y", "pseudonym": "Tala"})
    consent = db.session.scalars(select(MediaConsent)).one()
    assert consent.photos and not consent.named and consent.pseudonym == "Tala"


def test_a_leader_sees_her_members_signed_up_and_in_line_for_shifts_to_come(client):
    org = OrganisationFactory(state="approved")
    leader = org.created_by
    leader.locale = "fil"
    shift = ShiftFactory(capacity=1, place="Chater Road")
    a, b, c = (MembershipFactory(organisation=org, user=UserFactory(name=n)).user for n in ("Ana", "Bea", "Cora"))
    services.sign_up_members(leader, shift, [a, b, c], org)
    stranger = UserFactory(name="Not hers")
    services.sign_up(stranger, ShiftFactory(place="Elsewhere"), stranger)
    sign_in(client, leader)
    page = client.get("/campaigns/mine").get_data(as_text=True)
    part = page[page.index(f"Mga naka-sign up mula sa {org.name}"):]
    waits, signed = part[part.index("Nasa waiting list"):part.index("Naka-sign up")], part[part.index("Naka-sign up"):]
    assert waits.index("Bea") < waits.index("Ika-1 sa pila") < waits.index("Cora") < waits.index("Ika-2 sa pila")
    assert "Ana" in signed and "Chater Road" in signed and "Not hers" not in page
