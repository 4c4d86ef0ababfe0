"""Discreet wording (issue 15): with the switch on, her messages, calendar files and feed say "Mission Portal",
the time and the place, and nothing of the course, organisation or campaign; in each language. Codes keep
their words (they name no topic)."""
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext

from portal.accounts import services as accounts
from portal.calendar import booking_ics, feed_ics, signup_ics
from portal.campaigns import services as campaigns
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from portal.notifications.services import queue
from portal.trainings import services as trainings
from tests.factories import CampaignFactory, CourseFactory, SessionFactory, ShiftFactory, UserFactory, future
from tests.helpers import post, sign_in

TITLE, CAMPAIGN, ORG = "Know your employment contract", "Full rest day now", "Samahan ng Kababaihan"


def bodies(person):
    return [(m.kind, m.subject, m.body) for m in db.session.query(OutboxMessage).filter_by(user_id=person.id)
            .order_by(OutboxMessage.id)]


@pytest.mark.parametrize("lang", ["en", "fil", "id"])
def test_messages_and_calendar_files_say_only_the_time_and_place(app, lang):
    person = UserFactory(locale=lang, discreet=True)
    ts = SessionFactory(venue="Bayanihan Centre, Kennedy Town", course=CourseFactory(title=TITLE))
    booking = trainings.book(person, ts, person)
    shift = ShiftFactory(campaign=CampaignFactory(title=CAMPAIGN), place="Chater Road", role="marshal",
                         starts_at=future(9), ends_at=future(9) + timedelta(hours=2))
    signup = campaigns.sign_up(person, shift, person)
    queue(person, "member_accepted", org=ORG)
    queue(person, "reset_code", code="123456", minutes=30)
    db.session.commit()
    sent = bodies(person)
    assert [k for k, *_ in sent] == ["booking_confirmed", "shift_confirmed", "member_accepted", "reset_code"]
    with app.test_request_context(), force_locale(lang):
        appointment = gettext("Mission Portal appointment: %(when)s, %(where)s. Sign in to see more.",
                              when="", where="").split(":")[0]
        update = gettext("Mission Portal: you have an update")
        marshal = gettext("Marshal")
    for kind, subject, body in sent[:3]:
        assert subject == update
        assert TITLE not in body and CAMPAIGN not in body and ORG not in body and marshal not in body
    assert appointment in sent[0][2] and "Bayanihan Centre, Kennedy Town" in sent[0][2]
    assert appointment in sent[1][2] and "Chater Road" in sent[1][2]
    assert "123456" in sent[3][2]  # a code keeps its words
    with app.test_request_context():
        files = [booking_ics(booking, lang), signup_ics(signup, lang), feed_ics(person, lang)]
    for raw in files:
        text = raw.decode()
        assert "Mission Portal" in text and TITLE not in text and CAMPAIGN not in text
        assert "/trainings/" not in text and "/campaigns/" not in text and "DESCRIPTION" not in text
    assert "Kennedy Town" in files[0].decode() and "Chater Road" in files[1].decode()


def test_without_the_switch_messages_say_what_they_are_about(app):
    person = UserFactory()
    trainings.book(person, SessionFactory(course=CourseFactory(title=TITLE)), person)
    assert TITLE in bodies(person)[0][2]


def test_the_switch_works_without_javascript_from_where_she_books(client):
    person = UserFactory(locale="id")
    ts = SessionFactory()
    sign_in(client, person)
    page = client.get(f"/trainings/{ts.id}").get_data(as_text=True)
    assert "Jadikan pesan saya rahasia" in page  # "Make my messages discreet", where she books
    answer = post(client, "/auth/discreet", {"on": "1", "next": f"/trainings/{ts.id}"}, page=f"/trainings/{ts.id}")
    assert answer.status_code == 303 and answer.headers["Location"] == f"/trainings/{ts.id}"
    db.session.refresh(person)
    assert person.discreet
    assert "Tampilkan lagi isinya" in client.get("/auth/account").get_data(as_text=True)
    bad = post(client, "/auth/discreet", {"on": "maybe"}, page="/auth/account", follow_redirects=True)
    db.session.refresh(person)
    assert person.discreet and "Tidak ada yang diubah" in bad.get_data(as_text=True)  # nothing changed, said
    away = post(client, "/auth/discreet", {"on": "0", "next": "https://evil.example.org/"}, page="/auth/account")
    assert away.headers["Location"] == "/auth/account"
    db.session.refresh(person)
    assert not person.discreet
    accounts.set_discreet(person, True)
    assert person.discreet
