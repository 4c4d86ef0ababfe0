"""Her number is hers (issue 15): a number given at registration or changed later gets nothing but the code
that confirms it, and cannot reset the password, until she types that code back."""
import re

import pytest
from sqlalchemy import select
import time_machine

from portal.accounts import services
from portal.accounts.models import User
from portal.audit import AuditLog
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from portal.notifications.services import queue
from tests.factories import PASSWORD, UserFactory
from tests.helpers import csrf_token, post, sign_in


def messages(**where):
    return db.session.query(OutboxMessage).filter_by(**where).order_by(OutboxMessage.id).all()


def code_in(msg) -> str:
    return re.search(r"\b(\d{6})\b", msg.body).group(1)


def test_a_strangers_number_gets_only_the_code_and_cannot_reset_the_password(app):
    """Anyone can type a stranger's number when registering: nothing but the code goes to it, and asking for
    a new password with it sends nothing (the answer is the same as for any number)."""
    user = services.register("Someone", "a long password", phone="5123 4567", locale="fil")
    assert not user.phone_confirmed and user.contact_channel is None
    services.send_phone_code(user)
    services.request_reset("5123 4567")
    assert queue(user, "member_accepted", org="Samahan") is None
    db.session.commit()
    assert [(m.kind, m.to_address) for m in messages()] == [("phone_code", "+85251234567")]
    code = code_in(messages()[0])
    assert "Someone" not in messages()[0].body
    services.confirm_phone(user, code)
    assert user.phone_confirmed
    services.request_reset("5123 4567")
    assert [m.kind for m in messages(to_address="+85251234567")] == ["phone_code", "reset_code"]
    actions = [a for (a,) in db.session.query(AuditLog.action).filter_by(entity_id=user.id, entity_type="users")]
    assert "user.phone_code_sent" in actions and "user.phone_confirmed" in actions
    # The audit rows say what happened, never the number.
    assert not any("5123" in str(d) for (d,) in db.session.query(AuditLog.details).filter_by(entity_id=user.id))


def test_until_then_messages_go_to_her_e_mail(app):
    user = services.register("Ana", "a long password", phone="5123 4567", email="ana@example.org")
    queue(user, "member_accepted", org="Samahan", via="sms")
    services.request_reset("+852 5123 4567")
    db.session.commit()
    assert {(m.kind, m.channel, m.to_address) for m in messages()} == {
        ("member_accepted", "email", "ana@example.org"), ("reset_code", "email", "ana@example.org")}


def test_a_wrong_code_five_times_an_old_code_and_an_expired_one_are_refused(app):
    user = services.register("Siti", "a long password", phone="0812 3456 7890", locale="id")
    with time_machine.travel("2026-12-06 10:00 +0800", tick=False):
        services.send_phone_code(user)
        first = code_in(messages()[-1])
        services.send_phone_code(user)  # a new code: the first stops working
        second = code_in(messages()[-1])
        if first != second:
            with pytest.raises(services.BadResetCode):
                services.confirm_phone(user, first)
        wrong = "000000" if second != "000000" else "111111"
        for _ in range(4):
            with pytest.raises(services.BadResetCode):
                services.confirm_phone(user, wrong)
        with pytest.raises(services.BadResetCode):  # the fifth try: the right code, but no try is left
            services.confirm_phone(user, second)
        services.send_phone_code(user)
        third = code_in(messages()[-1])
    with time_machine.travel("2026-12-06 10:31 +0800", tick=False):
        with pytest.raises(services.BadResetCode):
            services.confirm_phone(user, third)
    db.session.refresh(user)
    assert not user.phone_confirmed


def test_a_new_number_replaces_the_old_one_only_once_confirmed(app):
    user = UserFactory(phone="+85251230001")
    with pytest.raises(services.WrongPassword):
        services.change_phone(user, "not my password", "5123 0002")
    assert messages() == []
    assert services.change_phone(user, PASSWORD, "5123 0002") == "+85251230002"
    assert services.pending_number(user) == "+85251230002"
    # Meanwhile the account keeps its number, confirmed, and messages still go there.
    queue(user, "member_accepted", org="Samahan")
    db.session.commit()
    assert [(m.kind, m.to_address) for m in messages()] == [
        ("phone_code", "+85251230002"), ("member_accepted", "+85251230001")]
    services.confirm_phone(user, code_in(messages(kind="phone_code")[0]))
    db.session.refresh(user)
    assert user.phone == "+85251230002" and user.phone_confirmed and services.pending_number(user) is None
    assert services.authenticate("5123 0002", PASSWORD) == user
    # The number she had is told, in case it was not she who changed it; it is not named in the message.
    [told] = messages(kind="phone_changed")
    assert told.to_address == "+85251230001" and "0002" not in told.body


def test_a_number_someone_confirmed_meanwhile_is_refused(app):
    user, other = UserFactory(phone="+85251230001"), UserFactory(phone="+85251230003")
    assert services.change_phone(user, PASSWORD, other.phone) == other.phone  # the same answer...
    assert messages() == []  # ...but nothing goes to a number someone has confirmed
    services.change_phone(user, PASSWORD, "5123 0004")
    code = code_in(messages(kind="phone_code")[0])
    late = User(name="Late", phone="+85251230004", password_hash="x", locale="en", phone_confirmed_at=utcnow())
    db.session.add(late)
    db.session.commit()
    with pytest.raises(services.AlreadyRegistered):
        services.confirm_phone(user, code)
    db.session.refresh(user)
    assert user.phone == "+85251230001"


def test_registering_with_a_number_leads_to_the_code_page_and_the_code_confirms_it(client):
    token = csrf_token(client, "/auth/register")
    response = client.post("/auth/register", data={
        "csrf_token": token, "name": "Dewi", "phone": "0812 3456 7890", "password": "a long password",
        "confirm": "a long password", "locale": "id"})
    assert response.status_code == 303 and response.headers["Location"].startswith("/auth/phone/confirm")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "+6281234567890" in page and 'autocomplete="one-time-code"' in page
    account = client.get("/auth/account").get_data(as_text=True)
    assert "Belum dikonfirmasi" in account  # "Not confirmed", in her language
    assert "belum dikonfirmasi" in client.get("/").get_data(as_text=True)  # and on her home page
    wrong = post(client, "/auth/phone/confirm", {"code": "12"}, page="/auth/phone/confirm")
    assert wrong.status_code == 422
    code = code_in(messages(kind="phone_code")[0])
    done = post(client, "/auth/phone/confirm", {"code": code, "next": "/"}, page="/auth/phone/confirm")
    assert done.status_code == 303 and done.headers["Location"] == "/"
    assert db.session.query(User).filter_by(phone="+6281234567890").one().phone_confirmed
    assert client.get("/auth/phone/confirm").status_code == 303  # nothing left to confirm


def test_a_new_code_can_be_asked_for_and_asking_too_often_is_refused_in_her_language(client):
    user = services.register("Joy", "a long password", phone="5123 4009", locale="fil")
    sign_in(client, user, "a long password")
    page = client.get("/auth/phone/confirm").get_data(as_text=True)  # no code was sent yet: she asks for one
    assert "Padalhan ako ng code sa SMS" in page and "Nagpadala kami" not in page
    answers = [post(client, "/auth/phone/send", page="/auth/phone/confirm", follow_redirects=True)
               for _ in range(6)]
    assert all(a.status_code == 200 for a in answers)
    assert "Masyadong" in answers[-1].get_data(as_text=True)  # "Too many tries", in Filipino
    assert 1 <= len(messages(kind="phone_code")) < 6


def test_changing_the_number_over_http_asks_for_the_password(client):
    user = UserFactory(phone="+85251230001", locale="fil")
    sign_in(client, user)
    refused = post(client, "/auth/phone", {"phone": "5123 0002", "current": "wrong password"}, page="/auth/phone")
    assert refused.status_code == 422 and messages() == []
    bad = post(client, "/auth/phone", {"phone": "12", "current": PASSWORD}, page="/auth/phone")
    assert bad.status_code == 422 and messages() == []
    sent = post(client, "/auth/phone", {"phone": "5123 0002", "current": PASSWORD}, page="/auth/phone")
    assert sent.status_code == 303 and sent.headers["Location"] == "/auth/phone/confirm"
    assert "+85251230002" in client.get("/auth/phone/confirm").get_data(as_text=True)


def test_whether_a_number_has_an_account_is_not_told_and_asking_is_limited(app):
    """An employer with an account of her own must not learn, by asking for codes, which numbers are
    registered: a number someone confirmed gets nothing and the answer is the same; asking is limited per
    account whatever the number."""
    from portal import throttle
    owner, asker = UserFactory(phone="+85251230010"), UserFactory(phone="+85251230011")
    assert services.change_phone(asker, PASSWORD, owner.phone, address="203.0.113.9") == owner.phone
    assert messages(to_address=owner.phone) == []
    assert services.change_phone(asker, PASSWORD, "5123 0012", address="203.0.113.9") == "+85251230012"
    for n in range(13, 17):
        services.change_phone(asker, PASSWORD, f"5123 00{n}", address="203.0.113.9")
    with pytest.raises(throttle.TooManyTries):  # six a day per account, whichever the numbers
        services.change_phone(asker, PASSWORD, owner.phone, address="203.0.113.9")


def test_a_number_typed_into_another_account_is_still_hers_to_claim(app):
    squatter = services.register("Employer", "a long password", phone="5123 0020", email="boss@example.org")
    owner = services.register("Rina", "a long password", phone="5123 0020", locale="id")
    assert owner.phone is None  # not yet: it is hers once she types the code
    services.send_phone_code(owner, "5123 0020")
    services.confirm_phone(owner, code_in(messages(kind="phone_code")[-1]))
    db.session.refresh(squatter)
    assert owner.phone == "+85251230020" and owner.phone_confirmed and squatter.phone is None
    assert db.session.query(AuditLog).filter_by(action="user.phone_released", entity_id=squatter.id).count() == 1
    with pytest.raises(services.AlreadyRegistered):  # confirmed now: no one else can register it
        services.register("Another", "a long password", phone="5123 0020")


def test_a_confirmed_number_ends_the_reset_codes_sent_before(app):
    user = UserFactory(phone="+85251230030")
    services.request_reset(user.phone)
    reset = code_in(messages(kind="reset_code")[0])
    services.change_phone(user, PASSWORD, "5123 0031")
    services.confirm_phone(user, code_in(messages(kind="phone_code")[0]))
    with pytest.raises(services.BadResetCode):
        services.reset_password("5123 0031", reset, "a new long password")


def test_many_registrations_on_one_wifi_each_get_their_code(client):
    """An organisation registers its members on one Wi-Fi: every one of them gets her code."""
    for i in range(12):
        token = csrf_token(client, "/auth/register")
        client.post("/auth/register", data={"csrf_token": token, "name": f"Member {i}", "phone": f"5123 01{i:02d}",
                                            "password": "a long password", "confirm": "a long password",
                                            "locale": "fil"})
        client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})
    assert len(messages(kind="phone_code")) == 12


def test_editing_a_shift_keeps_a_lead_whose_number_is_not_confirmed(app):
    from portal.campaigns.forms import ShiftForm
    from tests.factories import ShiftFactory
    lead = UserFactory(phone="+85251230040", phone_confirmed_at=None)
    shift = ShiftFactory(lead_id=lead.id)
    with app.test_request_context():
        assert ShiftForm.of(shift).lead.data == "+85251230040"


def test_the_code_page_says_when_the_code_could_not_reach_the_number(client):
    user = services.register("Wrong", "a long password", phone="5123 0050", locale="fil")
    services.send_phone_code(user)
    sign_in(client, user, "a long password")
    assert "Hindi naipadala ang code" not in client.get("/auth/phone/confirm").get_data(as_text=True)
    msg = messages(kind="phone_code")[0]
    msg.status = "failed"  # as the gateway reported (tests/test_sms_gateway.py)
    db.session.commit()
    assert "Hindi naipadala ang code sa +85251230050" in client.get("/auth/phone/confirm").get_data(as_text=True)


def test_a_new_code_keeps_where_she_was_going(client):
    user = services.register("Joy", "a long password", phone="5123 0060", locale="fil")
    sign_in(client, user, "a long password")
    page = client.get("/auth/phone/confirm?next=/trainings/").get_data(as_text=True)
    assert 'name="next" value="/trainings/"' in page
    answer = post(client, "/auth/phone/send", {"next": "/trainings/"}, page="/auth/phone/confirm")
    assert answer.headers["Location"] == "/auth/phone/confirm?next=/trainings/"
    evil = post(client, "/auth/phone/send", {"next": "https://evil.example.org/"}, page="/auth/phone/confirm")
    assert evil.headers["Location"] == "/auth/phone/confirm"


def test_at_the_desk_staff_send_her_a_code_and_typing_it_confirms_her_number(client):
    """She registered with her number only, never confirmed it and forgot her password: the reset page can
    send her nothing. At the desk, with her phone, staff send a code to her number; she types it on her
    phone with a new password, and the number is confirmed too. Only Mission staff may, only when she is there."""
    from tests.factories import StaffFactory
    her = services.register("Siti Aminah", "a long password", phone="5123 4568", locale="id")
    db.session.commit()
    services.request_reset("5123 4568")
    assert messages(kind="reset_code") == []  # not from the sign-in page: it could be a stranger's number
    member = client.application.test_client()
    sign_in(member, UserFactory())
    assert member.get("/staff/help").status_code == 403
    staff = StaffFactory(locale="id")
    sign_in(client, staff)
    refused = post(client, "/staff/help", {"identifier": "5123 4568"}, page="/staff/help")
    assert refused.status_code == 422 and "ada di sini bersama ponselnya" in refused.get_data(as_text=True)
    unknown = post(client, "/staff/help", {"identifier": "5999 0000", "here": "y"}, page="/staff/help")
    assert unknown.status_code == 422 and "Tidak ada yang terdaftar" in unknown.get_data(as_text=True)
    assert messages(kind="reset_code") == []
    done = post(client, "/staff/help", {"identifier": "5123 4568", "here": "y"}, page="/staff/help",
                follow_redirects=True).get_data(as_text=True)
    assert "Kode sudah dikirim ke Siti Aminah (•••• 4568)" in done
    [sent] = messages(kind="reset_code")
    assert sent.channel == "sms" and sent.to_address == "+85251234568"
    actor = db.session.scalar(select(AuditLog.actor_id).where(AuditLog.action == "user.assisted_reset"))
    assert actor == staff.id
    # On her own phone: the code, a new password; the number is hers now.
    phone = client.application.test_client()
    changed = post(phone, "/auth/reset/code", {"identifier": "5123 4568", "code": code_in(sent),
                                                "password": "a new long password", "confirm": "a new long password"},
                   page="/auth/reset/code")
    assert changed.status_code == 303
    her = db.session.get(User, her.id)
    assert her.phone_confirmed and services.authenticate("5123 4568", "a new long password") is not None
