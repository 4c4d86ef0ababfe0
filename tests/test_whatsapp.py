"""WhatsApp through Meta's Cloud API (issue 15), the client pointed at a real local HTTP server standing in for
Meta and for Twilio (pytest-httpserver; never the network): a template message sent with the right fields,
a failure falling back to SMS (at once when permanent, after the second try when temporary, and when the
status webhook reports it), the webhook's signature and its address check, and the file of templates an
administrator submits, up to date and acceptable to Meta."""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import time_machine
from sqlalchemy import select
from werkzeug import Response

from portal.clock import utcnow
from portal.extensions import db
from portal.languages import LANGUAGES
from portal.notifications import whatsapp
from portal.notifications.messages import MESSAGES, TOPIC_OF
from portal.notifications.models import OutboxMessage
from portal.notifications.services import queue, save_choices, send_pending
from tests.factories import UserFactory

PHONE_ID, TOKEN, SECRET = "109876543210", "meta-test-token", "meta-app-secret"
WA = f"/v23.0/{PHONE_ID}/messages"
SID = "AC" + "0" * 32
SMS = f"/2010-04-01/Accounts/{SID}/Messages.json"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def meta(app, httpserver):
    """WhatsApp through the Cloud API client and SMS through Twilio's, both at the local server."""
    del app.extensions["outbox.sender"]
    base = httpserver.url_for("/").rstrip("/")
    app.config.update(WHATSAPP_TOKEN=TOKEN, WHATSAPP_PHONE_NUMBER_ID=PHONE_ID, WHATSAPP_APP_SECRET=SECRET,
                      WHATSAPP_VERIFY_TOKEN="our-verify-token", WHATSAPP_API_BASE=base, WHATSAPP_TIMEOUT_SECONDS=3,
                      TWILIO_ACCOUNT_SID=SID, TWILIO_AUTH_TOKEN="twilio-token", TWILIO_FROM="+85230000000",
                      TWILIO_API_BASE=base)
    return httpserver


def accepted(wamid="wamid.HBgLODUyNTEyMzk5OTkVAgARGBI"):
    return Response(json.dumps({"messaging_product": "whatsapp", "contacts": [{"input": "85251239999"}],
                                "messages": [{"id": wamid}]}), status=200, content_type="application/json")


def refused(status, code):
    return Response(json.dumps({"error": {"message": "refused", "type": "OAuthException", "code": code,
                                          "fbtrace_id": "A1"}}), status=status, content_type="application/json")


def sms_accepted():
    return Response(json.dumps({"sid": "SM" + "1" * 32, "status": "queued"}), status=201,
                    content_type="application/json")


def on_whatsapp(locale="id", discreet=False):
    """A volunteer who agreed to WhatsApp and chose it for her trainings."""
    user = UserFactory(phone="+85251239999", locale=locale, discreet=discreet)
    save_choices(user, {"trainings": "whatsapp"}, agreed=True)
    return user


def a_booking(user):
    queue(user, "booking_confirmed", course="Kenali kontrak kerja Anda", when="Minggu, 6 Desember 10.00",
          where="Balai Katedral\n St John,   Central")
    db.session.commit()
    return db.session.scalars(select(OutboxMessage)).one()


def test_a_whatsapp_message_goes_as_its_approved_template_with_named_parameters(meta):
    meta.expect_ordered_request(WA, method="POST").respond_with_response(accepted())
    msg = a_booking(on_whatsapp())
    assert msg.channel == "whatsapp" and "Kenali kontrak" in msg.body  # the text too: for SMS, if it fails
    assert send_pending() == (1, 0)
    [(request, _response)] = meta.log
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    sent = request.get_json()
    assert sent["messaging_product"] == "whatsapp" and sent["to"] == "85251239999" and sent["type"] == "template"
    template = sent["template"]
    assert template["name"] == "mp_booking_confirmed" and template["language"]["code"] == "id"
    [body] = template["components"]
    assert {p["parameter_name"]: p["text"] for p in body["parameters"]} == {
        "course": "Kenali kontrak kerja Anda", "when": "Minggu, 6 Desember 10.00",
        "where": "Balai Katedral St John, Central"}  # no line break, no run of spaces: Meta refuses them
    db.session.refresh(msg)
    assert msg.status == "sent" and msg.provider_id == "wamid.HBgLODUyNTEyMzk5OTkVAgARGBI"


def test_discreet_wording_goes_as_the_discreet_template_naming_no_course(meta):
    meta.expect_ordered_request(WA, method="POST").respond_with_response(accepted())
    a_booking(on_whatsapp(locale="fil", discreet=True))
    send_pending()
    template = meta.log[0][0].get_json()["template"]
    assert template["name"] == "mp_discreet_timed" and template["language"]["code"] == "fil"
    assert "Kenali" not in json.dumps(template)
    assert {p["parameter_name"] for p in template["components"][0]["parameters"]} == {"when", "where"}


def test_a_number_without_whatsapp_gets_the_message_by_sms_at_once(meta):
    meta.expect_ordered_request(WA, method="POST").respond_with_response(refused(400, 131026))
    meta.expect_ordered_request(SMS, method="POST").respond_with_response(sms_accepted())
    msg = a_booking(on_whatsapp())
    assert send_pending() == (0, 1)
    db.session.refresh(msg)
    assert msg.status == "rerouted" and msg.last_error == "whatsapp 131026"
    copy = db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "sms")).one()
    assert copy.to_address == "+85251239999" and copy.body == msg.body and copy.locale == "id"
    assert send_pending() == (1, 0)
    form = {k: v[0] for k, v in parse_qs(meta.log[1][0].get_data(as_text=True)).items()}
    assert form["To"] == "+85251239999" and "Kenali kontrak kerja Anda" in form["Body"]
    assert send_pending() == (0, 0)  # once: the WhatsApp message is not tried again


def test_whatsapp_down_is_tried_twice_then_the_message_goes_by_sms(meta):
    meta.expect_request(WA, method="POST").respond_with_response(refused(503, 131016))
    msg = a_booking(on_whatsapp())
    assert send_pending() == (0, 1)
    db.session.refresh(msg)
    assert msg.status == "queued" and msg.next_try_at > utcnow()  # temporary: a second try
    assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "sms")).first() is None
    with time_machine.travel(utcnow() + timedelta(minutes=2)):
        assert send_pending() == (0, 1)
    db.session.refresh(msg)
    assert msg.status == "rerouted"
    assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "sms")).one().body == msg.body


def test_a_gateway_that_does_not_answer_is_temporary(meta, app):
    app.config["WHATSAPP_API_BASE"] = "http://127.0.0.1:9"  # nothing listens there
    msg = a_booking(on_whatsapp())
    assert send_pending() == (0, 1)
    db.session.refresh(msg)
    assert msg.status == "queued" and msg.last_error


def signed_post(client, report, secret=SECRET):
    body = json.dumps(report).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post("/hooks/whatsapp", data=body, content_type="application/json",
                       headers={"X-Hub-Signature-256": signature})


def status_report(wamid, status, code=None):
    entry = {"id": wamid, "status": status, "timestamp": "1796000000", "recipient_id": "85251239999"}
    if code:
        entry["errors"] = [{"code": code, "title": "Message undeliverable"}]
    return {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "messages", "value": {"messaging_product": "whatsapp", "statuses": [entry]}}]}]}


def test_the_webhook_records_delivery_when_signed_and_refuses_a_bad_signature(meta, client):
    meta.expect_request(WA, method="POST").respond_with_response(accepted("wamid.A"))
    msg = a_booking(on_whatsapp())
    send_pending()
    report = status_report("wamid.A", "delivered")
    assert signed_post(client, report, secret="someone-elses").status_code == 403
    assert client.post("/hooks/whatsapp", json=report).status_code == 403  # unsigned
    db.session.refresh(msg)
    assert msg.status == "sent"
    assert signed_post(client, report).status_code == 200
    db.session.refresh(msg)
    assert msg.status == "delivered" and msg.delivered_at is not None
    # Signed but not a report (or not JSON at all): refused, never a 500; nothing changes.
    assert signed_post(client, {"entry": "nonsense"}).status_code == 200
    body = b"not json"
    sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert client.post("/hooks/whatsapp", data=body, headers={"X-Hub-Signature-256": sig}).status_code == 400


def test_a_failed_report_sends_the_message_by_sms_once(meta, client):
    meta.expect_request(WA, method="POST").respond_with_response(accepted("wamid.B"))
    msg = a_booking(on_whatsapp())
    send_pending()
    assert signed_post(client, status_report("wamid.B", "failed", 131026)).status_code == 200
    assert signed_post(client, status_report("wamid.B", "failed", 131026)).status_code == 200  # Meta retries
    db.session.refresh(msg)
    assert msg.status == "rerouted" and msg.last_error == "whatsapp 131026"
    copies = db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "sms")).all()
    assert [c.body for c in copies] == [msg.body]


def test_meta_checks_the_webhook_address_with_our_verify_token(meta, client):
    asked = {"hub.mode": "subscribe", "hub.challenge": "1158201444"}
    answer = client.get("/hooks/whatsapp", query_string={**asked, "hub.verify_token": "our-verify-token"})
    assert answer.status_code == 200 and answer.get_data(as_text=True) == "1158201444"
    assert client.get("/hooks/whatsapp", query_string={**asked, "hub.verify_token": "guess"}).status_code == 403
    assert client.get("/hooks/whatsapp").status_code == 403


def test_without_whatsapp_configured_the_webhook_refuses_everything(client):
    assert signed_post(client, status_report("wamid.C", "delivered"), secret="anything").status_code == 403
    assert client.get("/hooks/whatsapp", query_string={"hub.mode": "subscribe", "hub.verify_token": "",
                                                       "hub.challenge": "1"}).status_code == 403


# --- the templates an administrator submits ---

def test_the_file_of_templates_is_up_to_date(app):
    """docs/whatsapp-templates.json is what `flask whatsapp-templates` writes now: a changed or new message,
    or a new translation, must be submitted to Meta again."""
    runner = app.test_cli_runner()
    result = runner.invoke(args=["whatsapp-templates"])
    assert result.exit_code == 0
    assert json.loads(result.output) == json.loads((ROOT / "docs" / "whatsapp-templates.json").read_text("utf-8")), \
        "run: flask --app portal whatsapp-templates --out docs/whatsapp-templates.json"


def test_every_kind_she_can_choose_has_a_template_in_every_language_that_meta_accepts(app):
    templates = whatsapp.templates(LANGUAGES)
    names = {(t["name"], t["language"]) for t in templates}
    for kind in TOPIC_OF:
        for locale in LANGUAGES:
            assert (f"mp_{kind}", whatsapp.LANGUAGE_CODES[locale]) in names
    for t in templates:
        assert re.fullmatch(r"[a-z0-9_]{1,512}", t["name"]) and t["category"] == "UTILITY"
        text = t["components"][0]["text"]
        assert len(text) <= 1024 and "%(" not in text and "\n" not in text
        # Meta refuses a template that starts or ends with a parameter, or whose parameters it has no example of.
        assert not text.startswith("{{") and not text.rstrip(".").endswith("}}"), (t["name"], t["language"])
        used = set(re.findall(r"\{\{(\w+)\}\}", text))
        examples = {e["param_name"] for e in t["components"][0].get("example", {}).get("body_text_named_params", [])}
        assert used == examples, (t["name"], t["language"])
    # Codes never go by WhatsApp: no template carries one.
    assert not [t for t in templates if "{{code}}" in t["components"][0]["text"]]
    assert "mp_reset_code" not in {t["name"] for t in templates} and "reset_code" in MESSAGES
