"""Her choices (issue 15): per topic of message the channel she wants (SMS, WhatsApp, e-mail) or none; codes
always come; WhatsApp only after she agreed to it, with the day recorded, and only to a confirmed number;
a choice that cannot reach her is refused in her language and changes nothing."""
import re

import pytest
from sqlalchemy import select

from portal.audit import AuditLog
from portal.extensions import db
from portal.notifications.messages import TOPIC_OF, TOPICS
from portal.notifications.models import OutboxMessage
from portal.notifications.services import WhatsAppNeedsAgreement, choices_of, queue, save_choices
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.helpers import post, sign_in


def channels(user):
    rows = select(OutboxMessage).where(OutboxMessage.user_id == user.id).order_by(OutboxMessage.id)
    return [(m.kind, m.channel, m.to_address) for m in db.session.scalars(rows)]


def test_every_kind_of_message_but_codes_has_one_topic():
    from portal.notifications.messages import MESSAGES, SECURITY_KINDS
    assert set(TOPIC_OF) | SECURITY_KINDS | {"case_code"} == set(MESSAGES)
    assert not set(TOPIC_OF) & SECURITY_KINDS
    assert sum(len(kinds) for _label, kinds in TOPICS.values()) == len(TOPIC_OF)  # none in two topics


def test_each_topic_goes_the_way_she_chose_and_codes_always_come(app):
    user = UserFactory(email="rina@example.org", phone="+85298700001")
    save_choices(user, {"trainings": "whatsapp", "campaigns": "sms", "organisation": "none"}, agreed=True)
    queue(user, "booking_confirmed", course="C", when="W", where="P")
    queue(user, "shift_confirmed", when="W", where="P", bring="B")
    queue(user, "member_accepted", org="O")       # none: not written at all
    queue(user, "referral_news")                   # no choice: the usual way (her e-mail)
    queue(user, "reset_code", code="123456", minutes=30)  # a code: always, the usual way
    db.session.commit()
    assert channels(user) == [("booking_confirmed", "whatsapp", "+85298700001"),
                              ("shift_confirmed", "sms", "+85298700001"),
                              ("referral_news", "email", "rina@example.org"),
                              ("reset_code", "email", "rina@example.org")]


def test_a_choice_that_no_longer_reaches_her_goes_the_usual_way(app):
    user = UserFactory(email="sri@example.org", phone="+85298700002")
    save_choices(user, {"trainings": "sms"})
    user.phone_confirmed_at = None  # her new number waits for its code
    queue(user, "booking_confirmed", course="C", when="W", where="P")
    db.session.commit()
    assert channels(user) == [("booking_confirmed", "email", "sri@example.org")]


def test_whatsapp_needs_her_agreement_and_withdrawing_it_ends_it(app):
    user = UserFactory(phone="+85298700003")
    with pytest.raises(WhatsAppNeedsAgreement):
        save_choices(user, {"trainings": "whatsapp"}, agreed=False)
    assert choices_of(user) == {} and user.whatsapp_since is None
    save_choices(user, {"trainings": "whatsapp", "campaigns": "whatsapp"}, agreed=True)
    assert user.whatsapp_since is not None
    save_choices(user, {"trainings": None, "campaigns": None}, agreed=False)
    assert user.whatsapp_since is None and choices_of(user) == {}
    actions = [a.action for a in db.session.scalars(select(AuditLog).where(AuditLog.action.like("user.%"))
                                                    .order_by(AuditLog.id))]
    assert actions.count("user.whatsapp") == 2 and actions.count("user.message_choices") == 2


def test_the_page_of_choices_in_her_language(client):
    user = UserFactory(phone="+85298700004", locale="id")
    sign_in(client, user)
    page = client.get("/auth/messages").get_data(as_text=True)
    assert "Pelatihan saya" in page and "WhatsApp" in page
    # WhatsApp chosen without ticking the agreement: told why in Indonesian, nothing changed
    refused = post(client, "/auth/messages", {"trainings": "whatsapp"}, page="/auth/messages")
    assert refused.status_code == 422 and "centang" in refused.get_data(as_text=True).lower()
    assert choices_of(user) == {} and db.session.get(type(user), user.id).whatsapp_since is None
    # a channel she does not have (no e-mail), or one that does not exist: refused
    assert post(client, "/auth/messages", {"trainings": "email"}, page="/auth/messages").status_code == 422
    assert post(client, "/auth/messages", {"trainings": "pigeon"}, page="/auth/messages").status_code == 422
    done = post(client, "/auth/messages", {"whatsapp": "y", "trainings": "whatsapp", "campaigns": "none"},
                page="/auth/messages", follow_redirects=True)
    assert done.status_code == 200 and "Tersimpan" in done.get_data(as_text=True)
    assert choices_of(user) == {"trainings": "whatsapp", "campaigns": "none"}
    assert db.session.get(type(user), user.id).whatsapp_since is not None
    page = client.get("/auth/messages").get_data(as_text=True)
    trainings = re.search(r'<select[^>]*name="trainings".*?</select>', page, re.S)[0]
    assert re.search(r'<option selected value="whatsapp">', trainings)


def test_referrals_and_cases_are_offered_only_to_those_who_get_them(client):
    worker = UserFactory(phone="+85298700005")
    sign_in(client, worker)
    assert 'name="cases"' not in client.get("/auth/messages").get_data(as_text=True)
    leader = UserFactory(phone="+85298700006")
    MembershipFactory(user=leader, organisation=OrganisationFactory(), role="leader", state="active")
    other = client.application.test_client()
    sign_in(other, leader)
    assert 'name="cases"' in other.get("/auth/messages").get_data(as_text=True)


def test_without_a_confirmed_number_whatsapp_is_not_offered(client):
    user = UserFactory(email="no-phone@example.org", phone=None)
    sign_in(client, user)
    page = client.get("/auth/messages").get_data(as_text=True)
    assert 'name="whatsapp"' not in page and 'value="whatsapp"' not in page and 'value="sms"' not in page
    assert post(client, "/auth/messages", {"whatsapp": "y", "trainings": "whatsapp"},
                page="/auth/messages").status_code == 422
    assert db.session.get(type(user), user.id).whatsapp_since is None


def test_whatsapp_is_not_offered_where_it_is_not_configured(client, app):
    app.config["WHATSAPP_OFFERED"] = None  # and no token: not configured
    user = UserFactory(phone="+85298700007")
    sign_in(client, user)
    page = client.get("/auth/messages").get_data(as_text=True)
    assert 'name="whatsapp"' not in page and 'value="whatsapp"' not in page


def test_a_new_number_asks_her_again_for_whatsapp(app):
    """She agreed to WhatsApp at the number she had: a new one is asked again, and until then what she had on
    WhatsApp goes the usual way."""
    from portal.accounts import services as accounts
    from tests.factories import PASSWORD
    user = UserFactory(phone="+85298700011")
    save_choices(user, {"trainings": "whatsapp", "campaigns": "sms"}, agreed=True)
    accounts.change_phone(user, PASSWORD, "9870 0012")
    assert user.whatsapp_since is not None  # the old number stays hers until the code is typed
    code = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "phone_code")).one()
    accounts.confirm_phone(user, re.search(r"\b(\d{6})\b", code.body)[1])
    db.session.refresh(user)
    assert user.phone == "+85298700012" and user.whatsapp_since is None
    assert choices_of(user) == {"campaigns": "sms"}
    queue(user, "booking_confirmed", course="C", when="W", where="P")
    db.session.commit()
    assert channels(user)[-1] == ("booking_confirmed", "sms", "+85298700012")
