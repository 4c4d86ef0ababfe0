"""The outbox, its senders and the CLI commands."""
import socket
import ssl
from datetime import datetime, timedelta, timezone
from email import message_from_bytes
from pathlib import Path

import pytest
import time_machine
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy import select

from portal.accounts.models import User
from portal.clock import HK, utcnow
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from portal.notifications.services import FileSender, queue, send_pending
from tests.factories import UserFactory


def test_messages_are_written_in_the_recipients_language(app):
    for locale in ("en", "fil", "id"):
        queue(UserFactory(locale=locale), "org_approved", org="Samahan")
    db.session.commit()
    subjects = {m.locale: m.subject for m in db.session.scalars(select(OutboxMessage))}
    assert subjects["en"] == "Your organisation was approved"
    assert subjects["fil"] != subjects["en"] and subjects["id"] != subjects["en"]
    assert subjects["fil"] != subjects["id"]


def test_a_message_rolled_back_with_its_cause_is_never_sent(app, sent):
    queue(UserFactory(), "org_approved", org="Samahan")
    db.session.rollback()
    assert send_pending() == (0, 0) and sent == []


def test_failed_sends_are_retried_and_counted(app):
    class Broken:
        def send(self, msg):
            raise ConnectionError("down")
    app.extensions["outbox.sender"] = Broken()
    queue(UserFactory(), "org_approved", org="Samahan")
    db.session.commit()
    assert send_pending() == (0, 1)
    msg = db.session.scalars(select(OutboxMessage)).one()
    assert msg.sent_at is None and msg.attempts == 1 and msg.last_error == "ConnectionError"
    app.extensions["outbox.sender"] = FileSender(app.config.get("OUTBOX_DIR") or "/tmp/portal-outbox-test")
    assert send_pending() == (0, 0)  # the next try waits a minute after a failure
    with time_machine.travel(utcnow() + timedelta(minutes=2)):
        assert send_pending() == (1, 0)
        assert send_pending() == (0, 0)


def test_file_sender_writes_to_the_log_folder(app, tmp_path):
    del app.extensions["outbox.sender"]
    app.config["OUTBOX_DIR"] = str(tmp_path)
    queue(UserFactory(email="ana@example.org", phone=None), "org_approved", org="Samahan")
    db.session.commit()
    assert send_pending() == (1, 0)
    [written] = list(Path(tmp_path).iterdir())
    text = written.read_text()
    assert "To: ana@example.org" in text and "Samahan" in text


class Inbox:
    """An aiosmtpd handler that keeps what it received."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for "localhost" that no public CA signed: (certificate, key) as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "localhost.pem", folder / "localhost-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(tmp_path):
    """A real SMTP server on 127.0.0.1 that takes mail only after STARTTLS, with a self-signed certificate."""
    cert_file, key_file = self_signed(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert_file, key_file)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), tls_context=tls, require_starttls=True)
    controller.start()
    try:
        yield inbox, controller.port, cert_file
    finally:
        controller.stop()


def use_smtp(app, port, server="localhost", ca_file=None):
    """The real sender_for() path: no test sender, MAIL_SERVER set."""
    del app.extensions["outbox.sender"]
    app.config.update(MAIL_SERVER=server, MAIL_PORT=port, MAIL_USE_TLS=True, MAIL_USERNAME=None,
                      MAIL_CA_FILE=ca_file, MAIL_FROM="portal@example.org")


@pytest.mark.parametrize("server, trusted", [("localhost", False), ("127.0.0.1", True)],
                         ids=["unknown certificate", "certificate for another name"])
def test_smtp_sends_nothing_to_a_server_it_cannot_verify(app, smtp_server, server, trusted):
    inbox, port, cert_file = smtp_server
    use_smtp(app, port, server=server, ca_file=str(cert_file) if trusted else None)
    queue(UserFactory(email="ana@example.org", phone=None), "org_approved", org="Samahan")
    db.session.commit()
    assert send_pending() == (0, 1)
    msg = db.session.scalars(select(OutboxMessage)).one()
    assert msg.sent_at is None and msg.last_error == "SSLCertVerificationError"
    assert inbox.messages == []


def test_smtp_sends_to_a_server_signed_by_the_configured_ca(app, smtp_server):
    inbox, port, cert_file = smtp_server
    use_smtp(app, port, server="localhost", ca_file=str(cert_file))
    queue(UserFactory(email="ana@example.org", phone=None), "org_approved", org="Samahan")
    db.session.commit()
    assert send_pending() == (1, 0)
    [received] = inbox.messages
    assert received["To"] == "ana@example.org" and received["Subject"] == "Your organisation was approved"
    assert "Samahan" in received.get_payload()


def test_cli_create_staff_and_send_outbox(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-staff", "--name", "Eni", "--email", "eni@example.org", "--role",
                                 "supervisor", "--password", "a long password"])
    assert result.exit_code == 0, result.output
    assert "Created supervisor account" in result.output
    assert db.session.scalars(select(User)).one().role == "supervisor"
    result = runner.invoke(args=["create-staff", "--name", "X", "--email", "eni@example.org",
                                 "--password", "a long password"])
    assert result.exit_code != 0 and "could not make an account" in result.output
    queue(UserFactory(), "org_approved", org="Samahan")
    db.session.commit()
    result = runner.invoke(args=["send-outbox"])
    assert result.output.strip() == "Outbox: 1 sent, 0 failed."


def test_cli_worker_sends_and_runs_periodic_jobs(app, monkeypatch):
    from portal import cli
    monkeypatch.setattr(cli, "PERIODIC_JOBS", [lambda: "Job: 2 offers expired."])
    queue(UserFactory(), "org_approved", org="Samahan")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["worker", "--rounds", "1", "--interval", "0"])
    assert "Outbox: 1 sent, 0 failed." in result.output and "Job: 2 offers expired." in result.output


def test_a_failing_job_does_not_stop_the_worker(app, monkeypatch, caplog):
    """One job's fault (a race, a bug) is logged by its name and kind; the other jobs and the next rounds go on."""
    from portal import cli

    def broken():
        raise ValueError("a case's detail that must not reach the log")
    monkeypatch.setattr(cli, "PERIODIC_JOBS", [broken, lambda: "Job: still running."])
    result = app.test_cli_runner().invoke(args=["worker", "--rounds", "2", "--interval", "0"])
    assert result.exit_code == 0 and result.output.count("Job: still running.") == 2
    assert "broken failed: ValueError" in caplog.text and "must not reach" not in caplog.text


def test_cli_seed_demo_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "staff@example.org" in result.output and result.exit_code == 0
    from portal.organisations.models import Organisation
    states = sorted(o.state for o in db.session.scalars(select(Organisation)))
    assert states == ["approved", "approved", "pending"]
    # The referral journey in several states, and the Mission roles that work it, printed with the sign-ins.
    from portal.referrals.models import Referral
    assert sorted(r.state for r in db.session.scalars(select(Referral))) == [
        "assigned", "declined", "draft", "submitted"]
    assert "supervisor@example.org" in result.output and "caseworker@example.org" in result.output
    from portal.directory.models import Service
    assert [s.capacity for s in db.session.scalars(select(Service).where(Service.kind == "shelter"))] == [6]
    # A campaign with shifts on the next Sundays, the first nearly full, and its shift lead among the sign-ins.
    from portal.campaigns.models import Shift
    leafleting = db.session.scalars(select(Shift).where(Shift.activity == "leafleting").order_by(Shift.starts_at)).all()
    assert leafleting and all(s.starts_at.astimezone(HK).weekday() == 6 and s.lead_id for s in leafleting)
    assert leafleting[0].places_left == 1
    assert "Shift lead (campaigns)" in result.output and "+85251234010" in result.output
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "no demo data loaded" in result.output


def test_quiet_hours_hold_messages_until_eight_but_not_a_code_she_asked_for(app, sent):
    """Between 21:00 and 08:00 in Hong Kong only a code she has just asked for goes; a reminder or an offer
    written at night waits in the outbox and goes at 08:00."""
    app.config["QUIET_HOURS"] = (21, 8)
    person = UserFactory()
    with time_machine.travel(datetime(2026, 12, 5, 22, 30, tzinfo=HK), tick=False):
        queue(person, "org_approved", org="Samahan")
        queue(person, "reset_code", code="123456", minutes=30)
        db.session.commit()
        assert send_pending() == (1, 0) and [m.kind for m in sent] == ["reset_code"]
    with time_machine.travel(datetime(2026, 12, 6, 7, 59, tzinfo=HK), tick=False):
        assert send_pending() == (0, 0)
    with time_machine.travel(datetime(2026, 12, 6, 8, 0, tzinfo=HK), tick=False):
        assert send_pending() == (1, 0) and [m.kind for m in sent] == ["reset_code", "org_approved"]
    with time_machine.travel(datetime(2026, 12, 6, 20, 59, tzinfo=HK), tick=False):
        queue(person, "org_approved", org="Samahan")
        db.session.commit()
        assert send_pending() == (1, 0)


def test_every_message_about_a_session_or_shift_says_where(app):
    """A booking confirmation tried on a phone named the course but not the venue: every message with a day
    and time carries the place too, in every language."""
    from portal.notifications.messages import MESSAGES
    from tests.factories import SessionFactory
    from portal.trainings import services as trainings
    timed = [kind for kind, (_s, body) in MESSAGES.items() if "%(when)s" in body._args[0]]
    assert len(timed) >= 10
    assert [k for k in timed if "%(where)s" not in MESSAGES[k][1]._args[0]] == []
    ts = SessionFactory(venue="Bayanihan Centre, Kennedy Town")
    for lang in ("en", "fil", "id"):
        person = UserFactory(locale=lang)
        trainings.book(person, ts, person)
    bodies = [m.body for m in db.session.scalars(select(OutboxMessage)
                                                 .where(OutboxMessage.kind == "booking_confirmed"))]
    assert len(bodies) == 3 and all("Bayanihan Centre, Kennedy Town" in b for b in bodies)


def test_each_gateway_sends_no_faster_than_its_rate_and_the_rest_wait(app, sent):
    """Beyond a gateway's rate (every worker together), messages wait for the next round, untouched; the
    other gateway is not held up."""
    app.config["SMS_RATE_LIMIT"] = "3 per minute"
    people = [UserFactory() for _ in range(5)]
    with time_machine.travel(datetime(2026, 12, 5, 10, 0, tzinfo=HK), tick=False):
        for person in people:
            queue(person, "org_approved", org="Samahan")
        queue(UserFactory(email="ana@example.org", phone=None), "org_approved", org="Samahan")
        db.session.commit()
        assert send_pending() == (4, 0)  # three SMS and the e-mail
        assert send_pending() == (0, 0)
        waiting = db.session.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))).all()
        assert len(waiting) == 2 and all(m.attempts == 0 and m.status == "queued" for m in waiting)
    with time_machine.travel(datetime(2026, 12, 5, 10, 1, 1, tzinfo=HK), tick=False):
        assert send_pending() == (2, 0)
    assert len(sent) == 6
