"""SMS through Twilio (issue 15): the `twilio` package pointed at a real local HTTP server standing in for the
gateway (pytest-httpserver; never the network). A message sent with the right fields, a temporary failure
tried again later, a permanent one recorded and never retried, the gateway down, and the status callback
with a good and a bad signature."""
from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
import time_machine
from sqlalchemy import select
from twilio.request_validator import RequestValidator
from werkzeug import Response

from portal.clock import utcnow
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from portal.notifications.services import MAX_ATTEMPTS, queue, send_pending
from tests.factories import UserFactory

SID, TOKEN = "AC" + "0" * 32, "test-auth-token"
MESSAGES = f"/2010-04-01/Accounts/{SID}/Messages.json"
STATUS_URL = "https://portal.example.org/hooks/sms/status"


@pytest.fixture
def gateway(app, httpserver):
    """The app sends SMS through Twilio's client, at the local server."""
    del app.extensions["outbox.sender"]
    app.config.update(TWILIO_ACCOUNT_SID=SID, TWILIO_AUTH_TOKEN=TOKEN, TWILIO_FROM="+85230000000",
                      TWILIO_API_BASE=httpserver.url_for("/").rstrip("/"), SMS_STATUS_URL=STATUS_URL,
                      SMS_TIMEOUT_SECONDS=3)
    return httpserver


def accepted(sid="SM" + "1" * 32):
    return Response(json.dumps({"sid": sid, "status": "queued", "error_code": None}), status=201,
                    content_type="application/json")


def refused(status, code):
    return Response(json.dumps({"code": code, "message": "refused", "more_info": "", "status": status}),
                    status=status, content_type="application/json")


def a_message(kind="member_accepted"):
    user = UserFactory(phone="+85251239999", locale="id")
    queue(user, kind, org="Samahan")
    db.session.commit()
    return db.session.scalars(select(OutboxMessage)).one()


def test_an_sms_goes_to_the_gateway_with_the_right_fields(gateway):
    gateway.expect_ordered_request(MESSAGES, method="POST").respond_with_response(accepted())
    msg = a_message()
    assert send_pending() == (1, 0)
    [(request, _response)] = gateway.log
    form = {k: v[0] for k, v in parse_qs(request.get_data(as_text=True)).items()}
    assert form["To"] == "+85251239999" and form["From"] == "+85230000000"
    assert form["StatusCallback"] == STATUS_URL and "Samahan" in form["Body"]
    assert request.authorization.username == SID and request.authorization.password == TOKEN
    db.session.refresh(msg)
    assert msg.status == "sent" and msg.provider_id == "SM" + "1" * 32 and msg.sent_at is not None


def test_a_temporary_failure_is_tried_again_later_and_then_sent(gateway):
    gateway.expect_ordered_request(MESSAGES, method="POST").respond_with_response(refused(503, 20500))
    gateway.expect_ordered_request(MESSAGES, method="POST").respond_with_response(accepted())
    msg = a_message()
    assert send_pending() == (0, 1)
    db.session.refresh(msg)
    assert msg.status == "queued" and msg.attempts == 1 and msg.last_error == "twilio 20500"
    assert msg.next_try_at > utcnow()
    assert send_pending() == (0, 0) and len(gateway.log) == 1  # waits before the next try
    with time_machine.travel(utcnow() + timedelta(minutes=2)):
        assert send_pending() == (1, 0)
    db.session.refresh(msg)
    assert msg.status == "sent" and msg.attempts == 2


def test_a_permanent_failure_is_recorded_and_never_tried_again(gateway):
    gateway.expect_request(MESSAGES, method="POST").respond_with_response(refused(400, 21211))  # invalid number
    msg = a_message()
    assert send_pending() == (0, 1)
    db.session.refresh(msg)
    assert msg.status == "failed" and msg.last_error == "twilio 21211" and msg.next_try_at is None
    with time_machine.travel(utcnow() + timedelta(days=1)):
        assert send_pending() == (0, 0)
    assert len(gateway.log) == 1


def test_a_gateway_that_is_down_delays_messages_and_loses_none(gateway):
    gateway.expect_request(MESSAGES, method="POST").respond_with_response(refused(500, 20500))
    msg = a_message()
    moment = utcnow()
    for i in range(MAX_ATTEMPTS):
        with time_machine.travel(moment + timedelta(hours=2 * i)):
            assert send_pending() == (0, 1)
    db.session.refresh(msg)
    assert msg.status == "failed" and msg.attempts == MAX_ATTEMPTS and msg.sent_at is None


def test_a_gateway_that_does_not_answer_is_a_temporary_failure(gateway, app):
    app.config["TWILIO_API_BASE"] = "http://127.0.0.1:9"  # nothing listens there
    msg = a_message()
    assert send_pending() == (0, 1)
    db.session.refresh(msg)
    assert msg.status == "queued" and msg.next_try_at is not None and msg.last_error


def report(client, params, token=TOKEN, url=STATUS_URL):
    signature = RequestValidator(token).compute_signature(url, params)
    return client.post("/hooks/sms/status", data=params, headers={"X-Twilio-Signature": signature})


def test_the_status_callback_records_delivery_when_signed_and_refuses_a_bad_signature(gateway, client):
    gateway.expect_request(MESSAGES, method="POST").respond_with_response(accepted("SM" + "2" * 32))
    msg = a_message()
    send_pending()
    params = {"MessageSid": "SM" + "2" * 32, "MessageStatus": "delivered", "AccountSid": SID}
    assert report(client, params, token="someone-elses-token").status_code == 403
    assert client.post("/hooks/sms/status", data=params).status_code == 403  # unsigned
    assert report(client, params, url="https://evil.example.org/hooks/sms/status").status_code == 403
    db.session.refresh(msg)
    assert msg.status == "sent" and msg.delivered_at is None
    assert report(client, params).status_code == 204
    db.session.refresh(msg)
    assert msg.status == "delivered" and msg.delivered_at is not None


def test_an_undelivered_report_marks_the_message_failed(gateway, client):
    gateway.expect_request(MESSAGES, method="POST").respond_with_response(accepted("SM" + "3" * 32))
    msg = a_message()
    send_pending()
    params = {"MessageSid": "SM" + "3" * 32, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert report(client, params).status_code == 204
    db.session.refresh(msg)
    assert msg.status == "failed" and msg.last_error == "twilio 30003"
    # A report about a message we do not know changes nothing and is not an error.
    assert report(client, {"MessageSid": "SM" + "9" * 32, "MessageStatus": "delivered"}).status_code == 204


def test_without_a_gateway_configured_the_callback_refuses_everything(client):
    params = {"MessageSid": "SM1", "MessageStatus": "delivered"}
    assert report(client, params, token="anything").status_code == 403


def test_the_administrator_sees_failed_messages_without_their_text_and_sends_one_again(gateway, app):
    from portal.audit import AuditLog
    from tests.factories import StaffFactory
    from tests.helpers import post, sign_in
    gateway.expect_ordered_request(MESSAGES, method="POST").respond_with_response(refused(400, 21614))
    gateway.expect_ordered_request(MESSAGES, method="POST").respond_with_response(accepted())
    msg = a_message()
    send_pending()
    admin, staff = StaffFactory(role="admin"), StaffFactory()
    other = app.test_client()
    sign_in(other, staff)
    assert other.get("/staff/messages").status_code == 403
    assert post(other, f"/staff/messages/{msg.id}/resend", page="/staff/").status_code == 403
    client = app.test_client()
    sign_in(client, admin)
    page = client.get("/staff/messages").get_data(as_text=True)
    assert "twilio 21614" in page and "•••• 9999" in page
    assert "Samahan" not in page and "+85251239999" not in page  # not her text, not her whole number
    answer = post(client, f"/staff/messages/{msg.id}/resend", page="/staff/messages", follow_redirects=True)
    assert "back in the outbox" in answer.get_data(as_text=True)
    assert send_pending() == (1, 0)
    db.session.refresh(msg)
    assert msg.status == "sent" and db.session.query(AuditLog).filter_by(action="outbox.resent").count() == 1
    assert "Every message arrived" in client.get("/staff/messages").get_data(as_text=True)


def test_an_expired_code_is_not_sent_again(gateway, app):
    from portal.notifications.services import CannotResend, resend
    from tests.factories import StaffFactory
    gateway.expect_request(MESSAGES, method="POST").respond_with_response(refused(400, 21211))
    user = UserFactory(phone="+85251239998")
    queue(user, "reset_code", code="123456", minutes=30)
    db.session.commit()
    send_pending()
    msg = db.session.scalars(select(OutboxMessage)).one()
    assert msg.status == "failed"
    with time_machine.travel(utcnow() + timedelta(minutes=31)):
        with pytest.raises(CannotResend):
            resend(StaffFactory(role="admin"), msg.id)


def test_a_wrong_token_holds_every_message_rather_than_failing_it(gateway):
    gateway.expect_request(MESSAGES, method="POST").respond_with_response(refused(401, 20003))
    msg = a_message()
    assert send_pending() == (0, 1)
    db.session.refresh(msg)
    assert msg.status == "queued" and msg.next_try_at is not None and msg.last_error == "twilio 20003"


def test_a_message_being_sent_is_not_picked_up_by_another_worker(app):
    """The claim is a lease: while one worker waits for the gateway, another round does not send it again."""
    inner = []

    class Slow:
        def send(self, msg):
            inner.append(send_pending())  # another worker's round, meanwhile
            return None
    app.extensions["outbox.sender"] = Slow()
    a_message()
    assert send_pending() == (1, 0) and inner == [(0, 0)]


def test_a_round_uses_one_client_for_all_its_messages(gateway, monkeypatch):
    """A client per message would open a new connection (and TLS handshake) to the gateway for each."""
    from portal.notifications import sms
    made = []
    real = sms.TwilioSender.__init__
    monkeypatch.setattr(sms.TwilioSender, "__init__", lambda self, config: (made.append(1), real(self, config))[1])
    gateway.expect_request(MESSAGES, method="POST").respond_with_response(accepted())
    for i in range(3):
        queue(UserFactory(phone=f"+8525123998{i}"), "member_accepted", org="Samahan")
    db.session.commit()
    assert send_pending() == (3, 0) and len(gateway.log) == 3
    assert len(made) == 1
