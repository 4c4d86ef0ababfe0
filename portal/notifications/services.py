"""The outbox: messages are written in the caller's transaction and sent later.

A message that carries a code (SECRET_KINDS) keeps it no longer than it is needed: its text is emptied
once it is sent; one whose code expires (EXPIRING_KINDS) and could not be sent is emptied, and never sent,
once the code has expired, and its file in the outbox folder is removed then too. A referred worker's code
lives with her case, and its message is forgotten (forget_messages) when the case is shredded."""
from __future__ import annotations

import os
import re
import smtplib
import ssl
from contextlib import suppress
from datetime import datetime, time, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, not_, or_, select, update

from portal import throttle
from portal.audit import record
from portal.clock import HK, aware, utcnow
from portal.files import create_private, private_dir
from portal.extensions import db
from portal.notifications import sms, whatsapp
from portal.notifications.messages import (
    ASKED_FOR_KINDS, EXPIRING_KINDS, MESSAGES, SECRET_KINDS, SECURITY_KINDS, TOPIC_OF, TOPICS, discreet_texts,
)
from portal.notifications.models import MessageChoice, OutboxMessage
from portal.web import DomainError

MAX_ATTEMPTS = 5
STAMP = "%Y%m%dT%H%M%S"
# The names FileSender gives: {stamp}-{id}-{channel}-{kind}.txt. No other file in the folder is touched.
FILE_NAME = re.compile(r"^(\d{8}T\d{6})-\d+-[a-z]+-([a-z_]+)\.txt$")


CHANNELS = ("sms", "whatsapp", "email")  # and "none", a choice: no messages of that topic


def address_for(user, channel: str | None) -> str | None:
    """Where a message by `channel` reaches her: her e-mail, or her number once she has confirmed it (until
    then only the code that confirms it goes there: portal.accounts.services.send_phone_code), on WhatsApp
    once she has agreed to it there. None: not that way."""
    if channel == "email":
        return user.email or None
    if channel == "sms":
        return user.phone if user.phone_confirmed else None
    if channel == "whatsapp":
        offered = whatsapp.offered(current_app.config)
        return user.phone if offered and user.phone_confirmed and user.whatsapp_since else None
    return None


def choices_of(user) -> dict[str, str]:
    """Her channel per topic (messages.TOPICS), for the topics she chose one for."""
    if user.id is None:
        return {}
    return dict(db.session.execute(select(MessageChoice.topic, MessageChoice.channel)
                                   .where(MessageChoice.user_id == user.id)).all())


def channel_for(user, kind: str) -> str | None:
    """How a message of `kind` goes to her: the channel she chose for its topic if it reaches her (WhatsApp
    only for what can go there), else as the portal reaches her (User.contact_channel); "none" when she
    wants none of that topic. Security codes always go, as the portal reaches her (or by SMS to a number)."""
    chosen = None if kind in SECURITY_KINDS or kind not in TOPIC_OF else choices_of(user).get(TOPIC_OF[kind])
    if chosen == "none":
        return "none"
    if chosen == "whatsapp" and not whatsapp.can_go(kind):
        chosen = "sms"
    return chosen if address_for(user, chosen) else user.contact_channel


def queue(user, kind: str, **params) -> OutboxMessage | None:
    """Render message `kind` in the user's language and add it to the current transaction, by the channel
    she chose for its topic (channel_for). None, and nothing written, when she wants none of that topic or
    cannot be reached at all."""
    channel = channel_for(user, kind)
    address = address_for(user, channel)
    if not address:
        return None
    return queue_to(channel, address, user.locale or "en", kind, user_id=user.id,
                    texts=discreet_texts(kind) if user.discreet else None, **params)


def queue_to(channel: str, address: str, locale: str, kind: str, user_id: int | None = None, texts=None,
             **params) -> OutboxMessage:
    """The same for someone who has no account (a worker referred by her organisation): to an address.
    `texts`: (subject, body) instead of the kind's own (her discreet wording)."""
    subject, body = texts or MESSAGES[kind]
    with force_locale(locale):
        values = {k: str(v) for k, v in params.items()}
        msg = OutboxMessage(user_id=user_id, channel=channel, to_address=address, locale=locale, kind=kind,
                            subject=str(subject), body=str(body) % values)
        if channel == "whatsapp":
            used = whatsapp.PARAM.findall(body._args[0])
            msg.template = whatsapp.template_json(whatsapp.template_name(kind, texts and body),
                                                  {k: values[k] for k in dict.fromkeys(used)})
    db.session.add(msg)
    return msg


class WhatsAppNeedsAgreement(DomainError):
    message = _l("To get messages on WhatsApp, tick the box that says you agree to it. Nothing was changed.")


def save_choices(user, chosen: dict[str, str | None], agreed: bool | None = None) -> None:
    """Her channel per topic (a channel, "none", or None: as the portal reaches her), and her agreement to
    WhatsApp when she was asked (`agreed`; None: unchanged). Withdrawing it sends what she had on WhatsApp
    the usual way. Nothing changes if she chose WhatsApp without agreeing to it."""
    on = bool(user.whatsapp_since) if agreed is None else agreed
    if not on and "whatsapp" in chosen.values():
        raise WhatsAppNeedsAgreement()
    if agreed and not user.whatsapp_since:
        user.whatsapp_since = utcnow()
        record(user, "user.whatsapp", user, {"on": True})
    elif agreed is False:
        withdraw_whatsapp(user)
    for topic, channel in chosen.items():
        choose(user, topic, channel)
    record(user, "user.message_choices", user, {t: c or "usual" for t, c in chosen.items()})
    db.session.commit()


def withdraw_whatsapp(user, why: str = "withdrawn") -> None:
    """No more WhatsApp for her (she unticked it, or her number changed: she agreed for the old one): what
    she had there goes the usual way. In the caller's transaction."""
    if not user.whatsapp_since:
        return
    user.whatsapp_since = None
    db.session.execute(delete(MessageChoice).where(MessageChoice.user_id == user.id,
                                                   MessageChoice.channel == "whatsapp"))
    record(user, "user.whatsapp", user, {"on": False, "why": why})


def choose(user, topic: str, channel: str | None) -> None:
    """How she wants the messages of `topic`: a channel, "none", or (None) as the portal reaches her. In the
    caller's transaction; the caller has checked that the channel reaches her."""
    if topic not in TOPICS or channel not in (None, "none", *CHANNELS):
        raise DomainError()
    row = db.session.get(MessageChoice, (user.id, topic))
    if channel is None:
        if row is not None:
            db.session.delete(row)
    elif row is None:
        db.session.add(MessageChoice(user_id=user.id, topic=topic, channel=channel))
    else:
        row.channel = channel


class FileSender:
    """Writes each message as a file to a log folder (the default, and for SMS until a gateway is set).
    Folder and files are the portal account's only; the kind is in the name so that the files of codes
    can be found and removed once the code has expired."""

    def __init__(self, folder: str):
        self.folder = Path(folder)

    def send(self, msg: OutboxMessage) -> None:
        stamp = utcnow().strftime(STAMP)
        path = private_dir(self.folder) / f"{stamp}-{msg.id}-{msg.channel}-{msg.kind}.txt"
        with create_private(path) as f:
            f.write(f"To: {msg.to_address}\nChannel: {msg.channel}\nSubject: {msg.subject}\n\n{msg.body}\n"
                    .encode("utf-8"))


class SmtpSender:
    """E-mail through the Mission's mail server. STARTTLS checks the server's certificate and its name:
    without that, anyone on the way could read the mail password and every code. MAIL_CA_FILE is the CA
    of a server whose certificate no public CA signed."""

    def __init__(self, config):
        self.config = config

    def send(self, msg: OutboxMessage) -> None:
        c = self.config
        email = EmailMessage()
        email["From"], email["To"], email["Subject"] = c["MAIL_FROM"], msg.to_address, msg.subject
        email.set_content(msg.body)
        with smtplib.SMTP(c["MAIL_SERVER"], c["MAIL_PORT"], timeout=20) as smtp:
            if c["MAIL_USE_TLS"]:
                smtp.starttls(context=ssl.create_default_context(cafile=c["MAIL_CA_FILE"]))
            if c["MAIL_USERNAME"]:
                smtp.login(c["MAIL_USERNAME"], c["MAIL_PASSWORD"])
            smtp.send_message(email)


class MemorySender:
    """Keeps what was sent, for tests."""

    def __init__(self):
        self.sent: list[OutboxMessage] = []

    def send(self, msg):
        self.sent.append(msg)


def sender_for(channel: str):
    app = current_app
    if "outbox.sender" in app.extensions:
        return app.extensions["outbox.sender"]
    if channel == "email" and app.config.get("MAIL_SERVER"):
        return SmtpSender(app.config)
    if channel == "sms" and sms.configured(app.config):
        return sms.TwilioSender(app.config)
    if channel == "whatsapp" and whatsapp.configured(app.config):
        return whatsapp.WhatsAppSender(app.config)
    return FileSender(app.config["OUTBOX_DIR"])


# After a temporary failure (a gateway down or busy) the next try waits longer each time; after the last,
# the message is marked failed, for an administrator to see and send again.
BACKOFF_MINUTES = (1, 5, 15, 60)
CLAIM_LEASE = timedelta(minutes=2)  # longer than a sender's timeout
# WhatsApp is tried twice before the message goes by SMS instead: a reminder late by an hour of retries may
# be too late for her Sunday.
WHATSAPP_TRIES = 2
REROUTED = "rerouted"  # a WhatsApp message that failed, sent by SMS instead (its copy is a new row)


def quiet_hours(now: datetime) -> bool:
    """No message between 21:00 and 08:00 in Hong Kong (QUIET_HOURS) but a code she has just asked for: a
    phone that buzzes at night in an employer's home is read by the employer, and wakes a worker who sleeps
    little. The others wait in the outbox and go at 08:00."""
    hours = current_app.config.get("QUIET_HOURS")
    if not hours:
        return False
    start, end = time(hours[0]), time(hours[1])
    hk = now.astimezone(HK).time()
    return (hk >= start or hk < end) if start > end else start <= hk < end


def heard_from(now: datetime) -> datetime:
    """When a message written `now` (not a code) can reach her: now, or at the end of the quiet hours."""
    if not quiet_hours(now):
        return now
    hk = now.astimezone(HK)
    end = hk.replace(hour=current_app.config["QUIET_HOURS"][1], minute=0, second=0, microsecond=0)
    return (end if end > hk else end + timedelta(days=1)).astimezone(timezone.utc)


def send_pending(limit: int = 200) -> tuple[int, int]:
    """Send unsent messages once (not those whose code has expired, nor those waiting to be tried again,
    nor, in the quiet hours, any but codes asked for). Returns (sent, failed)."""
    now = utcnow()
    due = select(OutboxMessage.id).where(
        OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS,
        or_(OutboxMessage.next_try_at.is_(None), OutboxMessage.next_try_at <= now), not_(_expired_code(now)))
    if quiet_hours(now):
        due = due.where(OutboxMessage.kind.in_(ASKED_FOR_KINDS))
    ids = db.session.scalars(due.order_by(OutboxMessage.id).limit(limit)).all()
    sent = failed = 0
    busy: set[str] = set()  # gateways that have sent as fast as they may this round
    senders: dict = {}  # one per channel for the round: a gateway's client keeps its connection open
    for msg_id in ids:
        msg = db.session.get(OutboxMessage, msg_id)
        token = None if msg.channel in busy else _gateway_token(msg.channel)
        if token is None:
            busy.add(msg.channel)
            continue
        # Claim it: another worker that got here first has raised `attempts`. The claim is a lease: while
        # this worker waits for the gateway (up to its timeout), no other picks the message up again.
        claimed = db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == msg_id, OutboxMessage.sent_at.is_(None),
                                        OutboxMessage.attempts == msg.attempts,
                                        or_(OutboxMessage.next_try_at.is_(None), OutboxMessage.next_try_at <= now))
            .values(attempts=OutboxMessage.attempts + 1, next_try_at=utcnow() + CLAIM_LEASE)).rowcount
        db.session.commit()
        if not claimed:
            token.give_back()  # another worker sends it, and counts it
            continue
        try:
            if msg.channel not in senders:
                senders[msg.channel] = sender_for(msg.channel)
            provider_id = senders[msg.channel].send(msg)
        except sms.SendFailed as e:  # the gateway said why
            _failed(msg, e.code, permanent=e.permanent)
            failed += 1
        except Exception as e:  # a sender may fail in many ways (the network, a timeout): tried again later
            _failed(msg, type(e).__name__, permanent=False)
            failed += 1
        else:
            msg.sent_at, msg.status, msg.next_try_at = utcnow(), "sent", None
            msg.provider_id = provider_id if isinstance(provider_id, str) else None
            if msg.kind in SECRET_KINDS:
                msg.body = ""
            sent += 1
        db.session.commit()
    return sent, failed


def _gateway_token(channel: str):
    """One message's place in the rate of the gateway of `channel` (throttle.GATEWAYS, counted for every
    worker together), to give back if the message is not sent after all; None when the gateway has sent as
    fast as it may: the message waits for the next round, untouched."""
    limit = throttle.GATEWAYS.get(channel)
    try:
        return throttle.take((limit, channel)) if limit else throttle.Taken([])
    except throttle.TooManyTries:
        return None


def _failed(msg: OutboxMessage, error: str, permanent: bool) -> None:
    msg.last_error = error[:200]
    tries = WHATSAPP_TRIES if msg.channel == "whatsapp" else MAX_ATTEMPTS
    if permanent or msg.attempts >= tries:
        msg.status, msg.attempts, msg.next_try_at = "failed", MAX_ATTEMPTS, None
        if msg.kind in SECRET_KINDS:  # a code that will not be sent is not kept
            msg.body = ""
        _fall_back(msg)
    else:
        msg.next_try_at = utcnow() + timedelta(minutes=BACKOFF_MINUTES[min(msg.attempts, len(BACKOFF_MINUTES)) - 1])


def _fall_back(msg: OutboxMessage) -> OutboxMessage | None:
    """A WhatsApp message that failed goes to the same number by SMS: the same text in her language, as a new
    message in the outbox (the failed one is marked rerouted, not shown as lost)."""
    if msg.channel != "whatsapp" or not msg.body or not msg.to_address:
        return None
    copy = OutboxMessage(user_id=msg.user_id, channel="sms", to_address=msg.to_address, locale=msg.locale,
                         kind=msg.kind, subject=msg.subject, body=msg.body)
    msg.status, msg.template = REROUTED, None
    db.session.add(copy)
    return copy


def report_status(provider_id: str, status: str, error_code: str | None = None, channel: str = "sms") -> bool:
    """What a gateway's status report says of a message it took: delivered, or failed after all (a WhatsApp
    message then goes by SMS). False when no message has that id (a report for another system, or a
    message forgotten since)."""
    gateway = whatsapp if channel == "whatsapp" else sms
    outcome = gateway.REPORTED.get(status)
    msg = db.session.scalar(select(OutboxMessage).where(OutboxMessage.provider_id == provider_id,
                                                        OutboxMessage.channel == channel)) if provider_id else None
    if msg is None:
        return False
    if outcome == gateway.DELIVERED and msg.status not in (gateway.FAILED, REROUTED):
        msg.status, msg.delivered_at = gateway.DELIVERED, utcnow()
    elif outcome == gateway.FAILED and msg.status != REROUTED:
        name = "whatsapp" if channel == "whatsapp" else "twilio"
        msg.status, msg.last_error = gateway.FAILED, f"{name} {error_code or status}"[:200]
        _fall_back(msg)
    db.session.commit()
    return True


def failed_messages():
    """The messages that did not arrive, newest first (for the administrator: never their text)."""
    return select(OutboxMessage).where(OutboxMessage.status == sms.FAILED).order_by(OutboxMessage.id.desc())


class CannotResend(DomainError):
    message = _l("This message cannot be sent again: it was sent, or it carried a code that has expired "
                 "or was forgotten. She can ask for a new code.")


def resend(actor, msg_id: int) -> OutboxMessage:
    """A failed message back in the outbox, tried again as a new one (after the number was corrected, or
    the gateway is back). Not one whose text was emptied: a code expired or forgotten is not sent."""
    msg = db.session.get(OutboxMessage, msg_id)
    expired = msg is not None and msg.kind in EXPIRING_KINDS and aware(msg.created_at) < utcnow() - _code_lifetime()
    if msg is None or msg.status != sms.FAILED or not msg.body or not msg.to_address or expired:
        raise CannotResend()
    msg.status, msg.attempts, msg.next_try_at, msg.last_error = "queued", 0, None, None
    record(actor, "outbox.resent", msg, {"kind": msg.kind, "channel": msg.channel})
    db.session.commit()
    return msg


# --- codes that have expired ---

def _code_lifetime() -> timedelta:
    return timedelta(minutes=current_app.config["RESET_CODE_MINUTES"])


def _expired_code(now: datetime):
    """Messages whose code no longer works: sending one would only mislead."""
    return and_(OutboxMessage.kind.in_(EXPIRING_KINDS), OutboxMessage.created_at < now - _code_lifetime())


def empty_expired_codes(now: datetime) -> int:
    """Empty the text of messages whose code has expired: those that could not be sent, and any sent
    before texts were emptied on sending. The row stays (who was sent what kind of message, when)."""
    emptied = db.session.execute(
        update(OutboxMessage).where(_expired_code(now), OutboxMessage.body != "").values(body="")
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return emptied


def _stamped_before(stamp: str, before: datetime) -> bool:
    try:
        return datetime.strptime(stamp, STAMP).replace(tzinfo=timezone.utc) < before
    except ValueError:  # digits in our pattern that are no time: not a name we gave
        return False


def remove_code_files(now: datetime) -> int:
    """Remove the outbox folder's files of messages whose code has expired (a file is written when its
    message is sent, after the code was made, so its stamp is never earlier)."""
    folder = current_app.config.get("OUTBOX_DIR")
    if not folder or not os.path.isdir(folder):
        return 0
    before, removed = now - _code_lifetime(), 0
    with os.scandir(folder) as entries:
        for entry in entries:
            match = FILE_NAME.match(entry.name)
            if not match or match[2] not in EXPIRING_KINDS or not _stamped_before(match[1], before):
                continue
            if entry.is_file(follow_symlinks=False):
                with suppress(FileNotFoundError):  # removed meanwhile by another worker
                    os.unlink(entry.path)
                    removed += 1
    return removed


def forget_messages(kind: str, address: str) -> int:
    """Every message of `kind` to `address` forgotten, in the caller's transaction: its text and address
    emptied, never sent if it was not yet, its file in the outbox folder removed. For a referred worker's
    code, when her case is shredded."""
    if not address:
        return 0
    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind,
                                                              OutboxMessage.to_address == address)).all()
    folder = current_app.config.get("OUTBOX_DIR")
    for msg in messages:
        msg.body, msg.to_address = "", ""
        if msg.sent_at is None:
            msg.attempts, msg.last_error = MAX_ATTEMPTS, "forgotten"
        if folder and os.path.isdir(folder):
            with os.scandir(folder) as entries:
                for entry in entries:
                    match = FILE_NAME.match(entry.name)
                    if match and match[2] == kind and f"-{msg.id}-" in entry.name:
                        with suppress(FileNotFoundError):
                            os.unlink(entry.path)
    return len(messages)


def forget_codes_job() -> str | None:
    """The worker's periodic job, every round: a code lives RESET_CODE_MINUTES."""
    now = utcnow()
    emptied = empty_expired_codes(now)
    try:
        removed = remove_code_files(now)
    except OSError as e:  # a problem with the folder must not stop the worker, which also sends the outbox
        current_app.logger.warning("Removing expired codes from the outbox folder failed: %s", type(e).__name__)
        removed = 0
    if emptied or removed:
        return f"Outbox: {emptied} expired codes emptied, {removed} code files removed."
    return None
