"""The outbox, its senders and the CLI commands."""
from pathlib import Path

from sqlalchemy import select

from portal.accounts.models import User
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


def test_cli_create_staff_and_send_outbox(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-staff", "--name", "Eni", "--email", "eni@example.org", "--role",
                                 "supervisor", "--password", "a long password"])
    assert result.exit_code == 0, result.output
    assert "Created supervisor account" in result.output
    assert db.session.scalars(select(User)).one().role == "supervisor"
    result = runner.invoke(args=["create-staff", "--name", "X", "--email", "eni@example.org",
                                 "--password", "a long password"])
    assert result.exit_code != 0 and "already exists" in result.output
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


def test_cli_seed_demo_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "staff@example.org" in result.output and result.exit_code == 0
    from portal.organisations.models import Organisation
    states = sorted(o.state for o in db.session.scalars(select(Organisation)))
    assert states == ["approved", "approved", "pending"]
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "no demo data loaded" in result.output
