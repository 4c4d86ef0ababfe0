"""WhatsApp through Meta's WhatsApp Cloud API (with httpx), the templates it requires, and what it reports.

A business may write first on WhatsApp only with a template that Meta has approved: a fixed text per
language with named parameters ({{course}}, {{when}}). Each kind of message that can go by WhatsApp has one
template per language (template_name(), templates()); `flask whatsapp-templates` writes them all to
docs/whatsapp-templates.json, the file an administrator submits for approval (the tests check that it is
up to date). Discreet wording has its own three templates, which name no topic. Codes never go by WhatsApp:
Meta allows them only in its own fixed "authentication" text, and a code confirms the number by SMS.

Settings (portal/config.py, from the environment): WHATSAPP_TOKEN (a system user's access token),
WHATSAPP_PHONE_NUMBER_ID (the sending number's id), WHATSAPP_APP_SECRET (Meta signs each status report
with it), WHATSAPP_VERIFY_TOKEN (our answer when Meta checks the webhook's address); WHATSAPP_API_BASE
points the client elsewhere (the tests' local server).

A failure is permanent (the number has no WhatsApp, a template is missing or paused) or temporary (Meta down
or busy). Either way the outbox falls back to SMS (services._fall_back) rather than leave her unwarned."""
from __future__ import annotations

import hashlib
import hmac
import json
import re

import httpx
from flask import current_app
from flask_babel import force_locale

from portal.notifications.messages import (
    DISCREET_HELD, DISCREET_OTHER, DISCREET_TIMED, MESSAGES, SECURITY_KINDS, TOPIC_OF,
)
from portal.notifications.sms import SendFailed

PREFIX = "mp_"  # Mission Portal's templates, among others of the same business account
# The language codes of Meta's templates for ours.
LANGUAGE_CODES = {"en": "en", "fil": "fil", "id": "id"}
DISCREET = {"discreet_timed": DISCREET_TIMED, "discreet_held": DISCREET_HELD, "discreet_other": DISCREET_OTHER}
# Meta's error codes that no retry mends: the number has no WhatsApp (131026), the template is missing,
# paused, disabled or its parameters wrong (132xxx, 131008, 131009), the person has blocked us or Meta
# would not deliver (131049, 131050). Anything else (rate limits, 131000, 131016, 5xx) is temporary.
PERMANENT_CODES = frozenset({100, 131008, 131009, 131021, 131026, 131047, 131049, 131050, 131051, 132000,
                             132001, 132005, 132007, 132012, 132015, 132016})
DELIVERED, FAILED = "delivered", "failed"
REPORTED = {"delivered": DELIVERED, "read": DELIVERED, "failed": FAILED}
PARAM = re.compile(r"%\((\w+)\)s")


def configured(config) -> bool:
    return bool(config.get("WHATSAPP_TOKEN") and config.get("WHATSAPP_PHONE_NUMBER_ID"))


def offered(config) -> bool:
    """Whether she may choose WhatsApp: where it is configured (WHATSAPP_OFFERED overrides, e.g. for `make
    run`, whose messages are written to files)."""
    choice = config.get("WHATSAPP_OFFERED")
    return configured(config) if choice is None else bool(choice)


def can_go(kind: str) -> bool:
    """Whether a message of `kind` can go by WhatsApp: one of a topic (not a code, not a referred worker's)."""
    return kind in TOPIC_OF and kind not in SECURITY_KINDS


def template_name(kind: str, discreet_text=None) -> str:
    """The template of a message of `kind`, or of the discreet text it is sent in."""
    for name, text in DISCREET.items():
        if discreet_text is not None and discreet_text is text:
            return PREFIX + name
    return PREFIX + kind


def template_json(name: str, params: dict) -> str:
    """What the outbox keeps of a WhatsApp message: the template and its parameters as Meta takes them (one
    line each: Meta refuses a parameter with a line break, a tab or more than four spaces in a row)."""
    return json.dumps({"name": name, "params": {k: " ".join(str(v).split()) for k, v in params.items()}},
                      ensure_ascii=False)


def _template_text(text) -> str:
    """A message's text with our %(name)s as Meta's {{name}}. A text that starts with a parameter gets
    "Mission Portal: " before it: Meta refuses a template that starts with one."""
    body = PARAM.sub(lambda m: "{{%s}}" % m[1], str(text))
    return ("Mission Portal: " + body) if body.startswith("{{") else body


EXAMPLES = {"org": "Bayanihan Sisters", "reason": "The contact number is missing", "course": "Know your contract",
            "when": "Sunday 6 December, 10:00", "where": "St John's Cathedral Hall, 4-8 Garden Road, Central",
            "until": "Monday 7 December, 10:00", "bring": "water, a hat", "number": "3"}


def templates(languages) -> list[dict]:
    """Every template, in every language, as Meta's API for creating templates takes them."""
    texts = [(PREFIX + kind, MESSAGES[kind][1]) for kind in sorted(TOPIC_OF) if can_go(kind)]
    texts += [(PREFIX + name, text) for name, text in DISCREET.items()]
    out = []
    for name, text in texts:
        for locale in languages:
            with force_locale(locale):
                body = _template_text(text)
            params = PARAM.findall(text._args[0])
            component = {"type": "BODY", "text": body}
            if params:
                component["example"] = {"body_text_named_params": [
                    {"param_name": p, "example": EXAMPLES[p]} for p in dict.fromkeys(params)]}
            out.append({"name": name, "language": LANGUAGE_CODES[locale], "category": "UTILITY",
                        "parameter_format": "NAMED", "components": [component]})
    return out


class WhatsAppSender:
    """Sends a template message and returns Meta's id for it (the status webhook names the message by it)."""

    def __init__(self, config):
        self.config = config
        base = (config.get("WHATSAPP_API_BASE") or "https://graph.facebook.com").rstrip("/")
        self.url = f"{base}/{config.get('WHATSAPP_API_VERSION', 'v23.0')}/{config['WHATSAPP_PHONE_NUMBER_ID']}/messages"
        self.client = httpx.Client(timeout=config.get("WHATSAPP_TIMEOUT_SECONDS", 15),
                                   headers={"Authorization": f"Bearer {config['WHATSAPP_TOKEN']}"})

    def send(self, msg) -> str:
        template = json.loads(msg.template or "{}")
        if not template.get("name"):
            raise SendFailed("whatsapp no template", permanent=True)
        payload = {
            "messaging_product": "whatsapp", "recipient_type": "individual",
            "to": msg.to_address.lstrip("+"), "type": "template",
            "template": {"name": template["name"],
                         "language": {"policy": "deterministic", "code": LANGUAGE_CODES.get(msg.locale, "en")},
                         "components": [{"type": "body", "parameters": [
                             {"type": "text", "parameter_name": k, "text": v}
                             for k, v in template.get("params", {}).items()]}]},
        }
        response = self.client.post(self.url, json=payload)  # a timeout or refused connection: temporary
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.is_success and answer.get("messages"):
            return str(answer["messages"][0].get("id", ""))[:64]
        error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
        code = error.get("code")
        # A wrong or expired token (190), Meta busy (4, 80007, 130429) or down (5xx): every message waits.
        raise SendFailed(f"whatsapp {code or response.status_code}", code in PERMANENT_CODES)


def signed(body: bytes, signature: str) -> bool:
    """Whether a webhook's report really comes from Meta: X-Hub-Signature-256 is "sha256=" and the HMAC of the
    raw body with our app secret."""
    secret = current_app.config.get("WHATSAPP_APP_SECRET")
    if not secret or not signature:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def statuses(report) -> list[tuple[str, str, str | None]]:
    """(Meta's message id, status, error code) of each status in a webhook's report; nothing of what is not."""
    found = []
    entries = report.get("entry") if isinstance(report, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        for change in (entry.get("changes") or []) if isinstance(entry, dict) else []:
            value = change.get("value") if isinstance(change, dict) else None
            for status in (value.get("statuses") or []) if isinstance(value, dict) else []:
                if not isinstance(status, dict):
                    continue
                errors = status.get("errors") or [{}]
                code = errors[0].get("code") if isinstance(errors, list) and isinstance(errors[0], dict) else None
                found.append((str(status.get("id", "")), str(status.get("status", "")),
                              None if code is None else str(code)))
    return found
