"""SMS through Twilio's Messaging API (the `twilio` package), and what Twilio says back about each message.

Settings (portal/config.py, from the environment): TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, and the sender
(TWILIO_FROM, a number or an alphanumeric sender ID, or TWILIO_MESSAGING_SERVICE_SID). SMS_STATUS_URL is the
public address of the status callback (https://<host>/hooks/sms/status): Twilio signs each report with the
auth token over that exact address, so it is configured rather than read from the request (behind a proxy
the request's own address differs). TWILIO_API_BASE points the client elsewhere (the tests' local server).

A failure is permanent (the number does not exist, cannot take SMS, has stopped our messages: retrying
would change nothing) or temporary (the gateway is down or busy: the outbox tries again later)."""
from __future__ import annotations

from flask import current_app
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

# Twilio's error codes that no retry mends: an invalid or unreachable number, a landline, a number that
# has unsubscribed (STOP), a blocked destination, a message body refused.
PERMANENT_CODES = frozenset({21211, 21214, 21217, 21219, 21408, 21610, 21612, 21614, 21617, 30003, 30004,
                             30005, 30006, 30007})
# What a status callback may say, and what the outbox records of it.
DELIVERED, FAILED = "delivered", "failed"
REPORTED = {"delivered": DELIVERED, "undelivered": FAILED, "failed": FAILED}


class SendFailed(Exception):
    """A gateway refused a message. `permanent`: do not try again. `code`: the gateway's error code."""

    def __init__(self, code: str, permanent: bool):
        super().__init__(code)
        self.code, self.permanent = code, permanent


def configured(config) -> bool:
    return bool(config.get("TWILIO_ACCOUNT_SID") and config.get("TWILIO_AUTH_TOKEN")
                and (config.get("TWILIO_FROM") or config.get("TWILIO_MESSAGING_SERVICE_SID")))


class TwilioSender:
    """Sends an SMS and returns the gateway's id for it (the status callback names the message by it)."""

    def __init__(self, config):
        self.config = config
        http = TwilioHttpClient(timeout=config.get("SMS_TIMEOUT_SECONDS", 15))
        self.client = Client(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"], http_client=http)
        if config.get("TWILIO_API_BASE"):
            self.client.api.base_url = config["TWILIO_API_BASE"]

    def send(self, msg) -> str:
        c = self.config
        sender = ({"messaging_service_sid": c["TWILIO_MESSAGING_SERVICE_SID"]}
                  if c.get("TWILIO_MESSAGING_SERVICE_SID") else {"from_": c["TWILIO_FROM"]})
        callback = {"status_callback": c["SMS_STATUS_URL"]} if c.get("SMS_STATUS_URL") else {}
        try:
            sent = self.client.messages.create(to=msg.to_address, body=msg.body, **sender, **callback)
        except TwilioRestException as e:
            # Only an error about this message and number is permanent. A wrong or rotated token (401, 20003),
            # a gateway busy (429) or down (5xx) hold every message: they wait in the outbox until mended.
            raise SendFailed(f"twilio {e.code or e.status}", e.code in PERMANENT_CODES) from None
        return sent.sid


def signed(url: str, params: dict, signature: str) -> bool:
    """Whether a status report really comes from Twilio (signed with our auth token over `url`)."""
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    if not token or not url or not signature:
        return False
    return RequestValidator(token).validate(url, params, signature)
