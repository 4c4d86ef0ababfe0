"""Trainings over HTTP, as the people who use them."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from portal.clock import aware, utcnow
from portal.extensions import db
from portal.organisations.models import MemberState
from portal.trainings import services
from portal.trainings.models import Booking, BookingState, CourseText, TrainingSession, WaitlistEntry, WaitState
from portal.trainings.queries import HK, next_sundays
from portal.web import NotAllowed
from tests.factories import (
    CourseFactory, MembershipFactory, OrganisationFactory, SessionFactory, StaffFactory, UserFactory,
)
from tests.helpers import post, sign_in


def sunday(i=0, hour=13):
    start, _ = next_sundays(utcnow())[i]
    return start + timedelta(hours=hour - 0)  # Hong Kong midnight plus `hour`


def test_catalogue_shows_the_next_sundays_first_then_other_days(client):
    k = 0 if sunday(0) > utcnow() + timedelta(hours=1) else 1  # today's Sunday session may have begun
    weekday = SessionFactory(starts_at=aware(sunday(k)) + timedelta(days=3))
    weekday.course.texts[0].title = "Weekday evening class"
    first = SessionFactory(starts_at=sunday(k + 1))
    first.course.texts[0].title = "Second Sunday class"
    soon = SessionFactory(starts_at=sunday(k))
    soon.course.texts[0].title = "Early Sunday class"
    db.session.commit()
    html = client.get("/trainings/").get_data(as_text=True)
    assert html.index("The next Sundays") < html.index("Early Sunday class") < html.index("Second Sunday class") \
        < html.index("Other dates") < html.index("Weekday evening class")
    assert "Sunday" in html


def test_catalogue_filters_and_htmx_answers_only_the_list(client):
    a = SessionFactory(course=CourseFactory(programme="wite", language="id", title="Safe at work"))
    SessionFactory(course=CourseFactory(programme="leap", title="Know your contract"))
    full = SessionFactory(capacity=1, taken=1, course=CourseFactory(title="Full house"))
    html = client.get("/trainings/?programme=wite").get_data(as_text=True)
    assert "Safe at work" in html and "Know your contract" not in html
    html = client.get("/trainings/?q=CONTRACT").get_data(as_text=True)
    assert "Know your contract" in html and "Safe at work" not in html
    html = client.get("/trainings/?seats=y").get_data(as_text=True)
    assert "Full house" not in html and "Safe at work" in html
    html = client.get("/trainings/").get_data(as_text=True)
    assert "Waiting list open" in html and "10 places left" in html
    part = client.get("/trainings/?language=id", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert part.lstrip().startswith('<div id="results">') and "<html" not in part and "Safe at work" in part


def test_outreach_sessions_are_only_for_their_organisation(client):
    org = OrganisationFactory()
    ts = SessionFactory(organisation_id=org.id, course=CourseFactory(title="Our own Sunday"))
    assert "Our own Sunday" not in client.get("/trainings/").get_data(as_text=True)
    assert client.get(f"/trainings/{ts.id}").status_code == 404
    sign_in(client, org.created_by)
    assert "Our own Sunday" in client.get("/trainings/").get_data(as_text=True)
    assert client.get(f"/trainings/{ts.id}").status_code == 200


def test_member_books_cancels_and_the_waiting_person_gets_the_offer(app, client):
    ts = SessionFactory(capacity=1)
    first, second = UserFactory(), UserFactory()
    sign_in(client, first)
    assert post(client, f"/trainings/{ts.id}/book").status_code == 303
    assert "You are booked" in client.get(f"/trainings/{ts.id}").get_data(as_text=True)
    post(client, "/auth/logout")
    sign_in(client, second)
    page = client.get(f"/trainings/{ts.id}").get_data(as_text=True)
    assert "Join the waiting list" in page and "Book my place" not in page
    post(client, f"/trainings/{ts.id}/waitlist")
    assert "number 1 on the waiting list" in client.get(f"/trainings/{ts.id}").get_data(as_text=True)
    post(client, "/auth/logout")
    sign_in(client, first)
    booking = db.session.scalar(select(Booking).where(Booking.user_id == first.id))
    post(client, f"/trainings/bookings/{booking.id}/cancel")
    post(client, "/auth/logout")
    sign_in(client, second)
    page = client.get(f"/trainings/{ts.id}").get_data(as_text=True)
    assert "A place is held for you" in page
    entry = db.session.scalar(select(WaitlistEntry).where(WaitlistEntry.user_id == second.id))
    post(client, f"/trainings/waitlist/{entry.id}/accept")
    assert "You are booked" in client.get(f"/trainings/{ts.id}").get_data(as_text=True)
    assert db.session.get(TrainingSession, ts.id, populate_existing=True).taken == 1


def test_after_the_deadline_the_button_is_my_day_off_was_cancelled(app, client):
    import time_machine
    ts = SessionFactory()
    person = UserFactory()
    sign_in(client, person)
    post(client, f"/trainings/{ts.id}/book")
    with time_machine.travel(aware(ts.deadline) + timedelta(hours=1)):
        sign_in(client, person)  # days later: sessions last 12 hours
        page = client.get(f"/trainings/{ts.id}").get_data(as_text=True)
        assert "My day off was cancelled" in page
        booking = db.session.scalar(select(Booking).where(Booking.user_id == person.id))
        post(client, f"/trainings/bookings/{booking.id}/cancel")
    db.session.refresh(booking)
    assert booking.state == BookingState.RELEASED


def test_booking_a_closed_session_gets_a_message_and_changes_nothing(app, client):
    ts = SessionFactory(state="cancelled")
    sign_in(client, UserFactory())
    response = post(client, f"/trainings/{ts.id}/book")
    assert response.status_code == 303
    assert "closed" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(Booking.id)) is None


def test_leader_books_two_members_at_once(app, client):
    org = OrganisationFactory()
    a, b = MembershipFactory(organisation=org), MembershipFactory(organisation=org)
    stranger = UserFactory()
    ts = SessionFactory(capacity=5)
    sign_in(client, org.created_by)
    page = client.get(f"/trainings/{ts.id}").get_data(as_text=True)
    assert a.user.name in page and "Book the chosen members" in page
    post(client, f"/trainings/{ts.id}/book-members",
         {"organisation_id": org.id, "member": [a.user_id, b.user_id, stranger.id]})
    booked = set(db.session.scalars(select(Booking.user_id).where(Booking.state == BookingState.BOOKED)))
    assert booked == {a.user_id, b.user_id}
    assert a.user.name in client.get("/trainings/mine").get_data(as_text=True)


def test_staff_creates_a_course_and_a_session_in_hong_kong_time(app, client):
    sign_in(client, StaffFactory())
    response = post(client, "/staff/trainings/courses/new", {
        "programme": "pcsw", "language": "fil", "title_en": "Peer counselling", "description_en": "Listening well",
        "title_fil": "Pakikinig sa kapwa"}, page="/staff/trainings/courses/new")
    assert response.status_code == 303
    course_id = int(response.headers["Location"].rsplit("=", 1)[1])
    day = (utcnow().astimezone(HK) + timedelta(days=14)).date()
    response = post(client, "/staff/trainings/sessions/new", {
        "course_id": course_id, "date": day.isoformat(), "start": "13:00", "end": "16:00", "venue": "Mission office",
        "capacity": "12", "deadline_days": "2"}, page="/staff/trainings/sessions/new")
    assert response.status_code == 303
    ts = db.session.scalars(select(TrainingSession)).one()
    assert aware(ts.starts_at).astimezone(HK).hour == 13 and ts.capacity == 12
    response = post(client, "/staff/trainings/sessions/new", {
        "course_id": course_id, "date": day.isoformat(), "start": "16:00", "end": "13:00", "capacity": "0",
        "deadline_days": "2"}, page="/staff/trainings/sessions/new")
    assert response.status_code == 422 and db.session.query(TrainingSession).count() == 1
    # Booking that would close before anyone could book: a warning, nothing saved, until staff tick that they
    # mean it (a session people join at the door).
    soon = {"course_id": course_id, "date": (utcnow().astimezone(HK) + timedelta(days=1)).date().isoformat(),
            "start": "13:00", "end": "16:00", "capacity": "12", "deadline_days": "5"}
    warned = post(client, "/staff/trainings/sessions/new", soon, page="/staff/trainings/sessions/new")
    page = warned.get_data(as_text=True)
    assert warned.status_code == 422 and "Booking would already be closed" in page and 'name="closed_ok"' in page
    assert db.session.query(TrainingSession).count() == 1
    assert 'name="closed_ok"' not in client.get("/staff/trainings/sessions/new").get_data(as_text=True)
    saved = post(client, "/staff/trainings/sessions/new", {**soon, "closed_ok": "y"}, page="/staff/trainings/sessions/new")
    assert saved.status_code == 303 and db.session.query(TrainingSession).count() == 2


def test_attendance_is_one_small_answer_per_tap(app, client):
    ts = SessionFactory()
    person = UserFactory()
    db.session.add(Booking(session_id=ts.id, user_id=person.id, state=BookingState.BOOKED))
    db.session.commit()
    booking = db.session.scalar(select(Booking))
    sign_in(client, StaffFactory())
    assert person.name in client.get(f"/staff/trainings/sessions/{ts.id}/attendance").get_data(as_text=True)
    response = post(client, f"/staff/trainings/bookings/{booking.id}/attendance", {"present": "1"},
                    headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith(f'<li id="booking-{booking.id}"') and "Attended" in html
    assert len(html.encode()) < 2048
    db.session.refresh(booking)
    assert booking.state == BookingState.ATTENDED
    # The chosen state is unmistakable: filled, ticked and pressed; the other is plain.
    assert '<button class="chosen" aria-pressed="true">✓ Here</button>' in html
    assert '<button class="secondary">Not here</button>' in html
    html = post(client, f"/staff/trainings/bookings/{booking.id}/attendance", {"present": "0"},
                headers={"HX-Request": "true"}).get_data(as_text=True)
    assert '<button class="secondary">Here</button>' in html
    assert '<button class="chosen" aria-pressed="true">✓ Not here</button>' in html


def test_a_walk_in_beyond_the_places_is_added_with_a_warning(app, client):
    ts = SessionFactory(capacity=1)
    booked = UserFactory()
    services.book(booked, ts, booked)
    walker = UserFactory(phone="+85298700001")
    sign_in(client, StaffFactory(locale="id"))
    page = client.get(f"/staff/trainings/sessions/{ts.id}/attendance").get_data(as_text=True)
    assert "Sesi ini penuh" in page and 'id="walk-in"' in page  # the form is there, with the warning
    done = post(client, f"/staff/trainings/sessions/{ts.id}/walk-in", {"identifier": "+85298700001"},
                follow_redirects=True).get_data(as_text=True)
    assert f"{walker.name} sudah dicatat hadir" in done and "Ini satu lebih banyak dari tempat sesi" in done
    ts = db.session.get(TrainingSession, ts.id)
    assert (ts.taken, ts.capacity) == (2, 2)


def test_catalogue_query_count_is_the_same_for_10_and_1000_sessions(app, client, count_queries):
    course_id = CourseFactory().id
    person = UserFactory()
    sign_in(client, person)

    def add(n):
        rows = []
        for i in range(n):
            start = utcnow() + timedelta(days=1 + i % 90, hours=i % 7)
            rows.append(dict(course_id=course_id, starts_at=start, ends_at=start + timedelta(hours=2),
                             deadline=start - timedelta(hours=1), venue="Hall", capacity=10, taken=i % 11,
                             state="scheduled"))
        db.session.execute(insert(TrainingSession), rows)
        db.session.commit()
    add(10)
    with count_queries() as ten:
        assert client.get("/trainings/").status_code == 200
    add(990)
    with count_queries() as thousand:
        assert client.get("/trainings/").status_code == 200
    assert ten.count == thousand.count, (ten.count, thousand.count)


def test_expired_offers_pass_on_when_the_page_is_read(app, client):
    import time_machine
    ts = SessionFactory(capacity=1, taken=1)
    person = UserFactory()
    entry = WaitlistEntry(session_id=ts.id, user_id=person.id, state=WaitState.OFFERED,
                          offer_expires_at=utcnow() + timedelta(hours=1))
    db.session.add(entry)
    db.session.commit()
    with time_machine.travel(utcnow() + timedelta(hours=2)):
        assert "1 place left" in client.get(f"/trainings/{ts.id}").get_data(as_text=True)
    db.session.refresh(entry)
    assert entry.state == WaitState.EXPIRED


def test_catalogue_titles_are_in_the_readers_language_else_english(client):
    ts = SessionFactory()
    ts.course.texts.append(CourseText(locale="fil", title="Karapatan sa paggawa", description=""))
    other = SessionFactory()
    other.course.texts[0].title = "Only in English"
    db.session.commit()
    filipino = client.get("/trainings/", headers={"Accept-Language": "fil"}).get_data(as_text=True)
    assert "Karapatan sa paggawa" in filipino and ts.course.texts[0].title not in filipino
    assert "Only in English" in filipino
    english = client.get("/trainings/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert ts.course.texts[0].title in english and "Karapatan sa paggawa" not in english


def test_outreach_sessions_are_not_for_a_person_whose_request_to_join_still_waits(app, client):
    org = OrganisationFactory()
    ts = SessionFactory(organisation_id=org.id, course=CourseFactory(title="Our own Sunday"))
    waiting = MembershipFactory(organisation=org, state=MemberState.PENDING).user
    db.session.commit()
    sign_in(client, waiting)
    assert "Our own Sunday" not in client.get("/trainings/").get_data(as_text=True)
    assert client.get(f"/trainings/{ts.id}").status_code == 404
    with pytest.raises(services.ForAnotherOrganisation):
        services.book(waiting, ts, waiting)
    with pytest.raises(NotAllowed):  # nor may her leader book her before accepting her
        services.book(org.created_by, ts, waiting, org)
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


def test_a_filter_that_cannot_be_used_is_named_and_the_list_shows_everything(client):
    SessionFactory(course=CourseFactory(title="Labour law basics"))
    long_search = "a" * 101
    page = client.get(f"/trainings/?q={long_search}&language=",
                      headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert "Filter ini tidak bisa dipakai" in page and "Labour law basics" in page
    assert f'value="{long_search}"' in page  # what she typed stays, to shorten
    answer = client.get(f"/trainings/?q={long_search}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in answer and "This filter could not be used" in answer and "Search by title" in answer
    assert "This filter could not be used" not in client.get("/trainings/?q=labour").get_data(as_text=True)


def test_her_language_first_with_every_card_saying_its_language_and_all_languages_a_tap_away(client):
    """An Indonesian reader sees the trainings given in Indonesian first: the language filter's default (not
    counted as a filter in use: the filters stay folded), said above the list with a link to every language;
    each card says the training's language, and a session whose booking has closed says so."""
    from tests.factories import future
    SessionFactory(course=CourseFactory(title="Kenali kontrak kerja Anda", language="id"))
    SessionFactory(course=CourseFactory(title="Alamin ang iyong kontrata", language="fil"))
    closing = SessionFactory(course=CourseFactory(title="Hak cuti", language="id"), starts_at=future(2),
                             ends_at=future(2, 12))
    closing.deadline = utcnow() - timedelta(hours=1)
    db.session.commit()
    page = client.get("/trainings/", headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert "Kenali kontrak kerja Anda" in page and "Alamin ang iyong kontrata" not in page
    assert "Pelatihan dalam Bahasa Indonesia." in page and 'href="/trainings/?language="' in page
    assert '<details class="fold">' in page  # folded: her own language is no filter she set
    card = re.search(r'<li class="card">(?:(?!</li>).)*Hak cuti.*?</li>', page, re.S)[0]
    assert "Pemesanan ditutup" in card and "Sisa " not in card
    every = client.get("/trainings/?language=", headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert "Alamin ang iyong kontrata" in every and "Kenali kontrak kerja Anda" in every
    assert "Bahasa Filipino / Tagalog</span>" in every  # the card's language tag
    chosen = client.get("/trainings/?language=fil&seats=y", headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert '<details class="fold" open>' in chosen and "2 dipakai" in chosen
    # English readers see every language, as before
    english = client.get("/trainings/").get_data(as_text=True)
    assert "Alamin ang iyong kontrata" in english and "Kenali kontrak kerja Anda" in english


def test_my_trainings_coming_first_with_time_place_and_actions_then_past_then_cancelled(client):
    """"My trainings": what is coming first, soonest first, each with its day, time, place, calendar and
    cancel; then what is past; then what was cancelled, each under a plain heading."""
    from tests.factories import future
    person = UserFactory(locale="id")
    later = SessionFactory(course=CourseFactory(title="Later one"), starts_at=future(20), ends_at=future(20, 12),
                           venue="Bayanihan Centre, Kennedy Town")
    sooner = SessionFactory(course=CourseFactory(title="Sooner one"), starts_at=future(6), ends_at=future(6, 12))
    gone = SessionFactory(course=CourseFactory(title="Given back"), starts_at=future(9), ends_at=future(9, 12))
    past = SessionFactory(course=CourseFactory(title="Last month"), starts_at=future(-30), ends_at=future(-30, 12))
    for ts in (later, sooner, gone):
        services.book(person, ts, person)
    services.cancel_booking(person, db.session.scalar(select(Booking).where(Booking.session_id == gone.id)))
    db.session.add(Booking(session_id=past.id, user_id=person.id, state=BookingState.ATTENDED))
    db.session.commit()
    sign_in(client, person)
    page = client.get("/trainings/mine").get_data(as_text=True)
    headings = [page.index(h) for h in ("<h2>Yang akan datang</h2>", "<h2>Sudah lewat</h2>", "<h2>Dibatalkan</h2>")]
    assert headings == sorted(headings)
    coming = page[headings[0]:headings[1]]
    assert coming.index("Sooner one") < coming.index("Later one") and "Bayanihan Centre, Kennedy Town" in coming
    assert coming.count("Tambahkan ke kalender saya") == 2 and "Given back" not in coming
    # Its cancel goes straight to the question asked once (not to the session page, to tap again there).
    for ts in (later, sooner):
        mine = db.session.scalar(select(Booking).where(Booking.session_id == ts.id, Booking.user_id == person.id))
        assert f'href="/trainings/bookings/{mine.id}/cancel"' in coming
    assert "Last month" in page[headings[1]:headings[2]] and "Given back" in page[headings[2]:]


def test_the_outreach_request_starts_in_the_organisations_language(client):
    org = OrganisationFactory(community="indonesian", languages="id,en", state="approved")
    org.created_by.locale = "en"
    db.session.commit()
    sign_in(client, org.created_by)
    page = client.get("/trainings/outreach/new").get_data(as_text=True)
    select_ = re.search(r'<select[^>]*name="language".*?</select>', page, re.S)[0]
    assert re.search(r'<option selected value="id">', select_)


def test_the_staff_list_shows_this_week_first_then_the_last_days_then_later(app, client):
    now = utcnow()
    course = CourseFactory()
    for days, venue in ((-20, "Long ago"), (-3, "Last Sunday"), (30, "Next month"), (2, "This Sunday")):
        SessionFactory(course=course, starts_at=now + timedelta(days=days), venue=venue)
    sign_in(client, StaffFactory(locale="fil"))
    page = client.get("/staff/trainings/").get_data(as_text=True)
    ids = [db.session.scalar(select(TrainingSession.id).where(TrainingSession.venue == v))
           for v in ("This Sunday", "Last Sunday", "Next month", "Long ago")]
    where = [page.index(f'/staff/trainings/sessions/{i}/attendance') for i in ids]
    assert where == sorted(where)
    heads = [page.index(h) for h in
             ("Ngayon at sa susunod na 7 araw", "Nakaraang 7 araw", "Pagkatapos nito", "Bago nito")]
    assert heads == sorted(heads) and heads[0] < where[0] and heads[1] < where[1] < heads[2] < where[2]


def test_a_leader_sees_her_members_on_the_waiting_list_with_their_numbers(app, client):
    org = OrganisationFactory(state="approved")
    leader = org.created_by
    leader.locale = "id"
    ts = SessionFactory(capacity=1)
    a, b, c = (MembershipFactory(organisation=org, user=UserFactory(name=n)).user for n in ("Ani", "Budi", "Citra"))
    outcome = services.book_many(leader, ts, [a, b, c], org)
    assert outcome["booked"] == [a] and [(p, n) for p, n in outcome["waiting"]] == [(b, 1), (c, 2)]
    sign_in(client, leader)
    page = client.get("/trainings/mine").get_data(as_text=True)
    waits = page[page.index("Di daftar tunggu"):]
    assert all(w in waits for w in ("Budi", "Nomor 1 dalam antrean", "Citra", "Nomor 2 dalam antrean"))
    assert waits.index("Budi") < waits.index("Nomor 1") < waits.index("Citra") < waits.index("Nomor 2")
    # Ani gives her place back: it is held for Budi, and Citra moves up.
    services.cancel_booking(leader, db.session.scalar(select(Booking).where(Booking.user_id == a.id)))
    waits = client.get("/trainings/mine").get_data(as_text=True)
    waits = waits[waits.index("Di daftar tunggu"):]
    assert "Tempat disimpan untuknya sampai" in waits and "Nomor 1 dalam antrean" in waits
    assert waits.index("Budi") < waits.index("Tempat disimpan") < waits.index("Citra") < waits.index("Nomor 1")
