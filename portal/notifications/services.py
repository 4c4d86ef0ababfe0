"""The outbox: messages are written in the caller's transaction and sent later."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select, update

from portal.clock import utcnow
from portal.extensions import db
from portal.notifications.messages import MESSAGES
from portal.notifications.models import OutboxMessage

MAX_ATTEMPTS = 5


def queue(user, kind: str, **params) -> OutboxMessage:
    """Render message `kind` in the user's language and add it to the current transaction."""
    subject, body = MESSAGES[kind]
    with force_locale(user.locale or "en"):
        msg = OutboxMessage(user_id=user.id, channel=user.contact_channel, to_address=user.contact_address,
                            locale=user.locale or "en", kind=kind,
                            subject=str(subject), body=str(body) % {k: str(v) for k, v in params.items()})
    db.session.add(msg)
    return msg


class FileSender:
    """Writes each message as a file to a log folder (the default, and for SMS until a gateway is set)."""

    def __init__(self, folder: str):
        self.folder = Path(folder)

    def send(self, msg: OutboxMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = utcnow().strftime("%Y%m%dT%H%M%S")
        path = self.folder / f"{stamp}-{msg.id}-{msg.channel}.txt"
        path.write_text(f"To: {msg.to_address}\nChannel: {msg.channel}\nSubject: {msg.subject}\n\n{msg.body}\n",
                        encoding="utf-8")


class SmtpSender:
    def __init__(self, config):
        self.config = config

    def send(self, msg: OutboxMessage) -> None:
        c = self.config
        email = EmailMessage()
        email["From"], email["To"], email["Subject"] = c["MAIL_FROM"], msg.to_address, msg.subject
        email.set_content(msg.body)
        with smtplib.SMTP(c["MAIL_SERVER"], c["MAIL_PORT"], timeout=20) as smtp:
            if c["MAIL_USE_TLS"]:
                smtp.starttls()
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
    return FileSender(app.config["OUTBOX_DIR"])


def send_pending(limit: int = 200) -> tuple[int, int]:
    """Send unsent messages once. Returns (sent, failed)."""
    ids = db.session.scalars(
        select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
        .order_by(OutboxMessage.id).limit(limit)).all()
    sent = failed = 0
    for msg_id in ids:
        msg = db.session.get(OutboxMessage, msg_id)
        # Claim it: another worker that got here first has raised `attempts`.
        claimed = db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == msg_id, OutboxMessage.sent_at.is_(None),
                                        OutboxMessage.attempts == msg.attempts)
            .values(attempts=OutboxMessage.attempts + 1)).rowcount
        db.session.commit()
        if not claimed:
            continue
        try:
            sender_for(msg.channel).send(msg)
        except Exception as e:  # a sender may fail in many ways; retried up to MAX_ATTEMPTS
            msg.last_error = type(e).__name__[:200]
            failed += 1
        else:
            msg.sent_at = utcnow()
            sent += 1
        db.session.commit()
    return sent, failed
