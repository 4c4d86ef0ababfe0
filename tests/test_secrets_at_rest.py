"""Secrets at rest (issue 10): codes do not stay in the outbox, and what the portal writes to disk
(the instance folder, its secret key, the SQLite database, outbox files, uploaded materials) is
readable by the portal's own account only, from the moment it is created.

Real files in tmp_path, under the usual umask 0o022 (which would leave them readable by all)."""
import os
import re
import stat
from datetime import datetime, timedelta, timezone
from io import BytesIO

import pytest
import time_machine
from sqlalchemy import select, text
from werkzeug.datastructures import FileStorage

from portal import cli, config
from portal.extensions import db
from portal.notifications import messages
from portal.notifications import services as outbox
from portal.notifications.models import OutboxMessage
from portal.trainings.materials import services as materials
from tests.conftest import make_app
from tests.factories import PDF_BYTES, UserFactory

T0 = datetime(2026, 11, 29, 2, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def no_chmod(monkeypatch):
    """Private from the first byte: a mode set by chmod after creating would leave a moment
    when the file is readable, so creating must not need it."""
    def refuse(*args, **kwargs):
        raise AssertionError("chmod after creating")
    monkeypatch.setattr(os, "chmod", refuse)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def message(kind):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)).one()


# --- codes in the outbox ---

def test_a_code_message_is_emptied_once_sent_and_other_messages_are_kept(app, tmp_path):
    del app.extensions["outbox.sender"]
    app.config["OUTBOX_DIR"] = str(tmp_path)
    user = UserFactory(email="ana@example.org", phone=None)
    outbox.queue(user, "reset_code", code="493817", minutes=30)
    outbox.queue(user, "org_approved", org="Samahan")
    db.session.commit()
    assert outbox.send_pending() == (2, 0)
    [code_file] = tmp_path.glob("*-reset_code.txt")
    assert "493817" in code_file.read_text()  # it did go out
    db.session.expire_all()
    reset = message("reset_code")
    assert reset.body == "" and reset.sent_at is not None and reset.created_at is not None
    assert reset.subject and reset.to_address == "ana@example.org"
    assert "Samahan" in message("org_approved").body


def test_an_unsent_code_is_emptied_when_it_expires_and_never_sent_after(app):
    class Down:
        def send(self, msg):
            raise ConnectionError("down")
    app.extensions["outbox.sender"] = Down()
    with time_machine.travel(T0, tick=False):
        outbox.queue(UserFactory(), "reset_code", code="493817", minutes=30)
        outbox.queue(UserFactory(), "org_approved", org="Samahan")
        db.session.commit()
        assert outbox.send_pending() == (0, 2)
    with time_machine.travel(T0 + timedelta(minutes=29), tick=False):
        assert outbox.forget_codes_job() is None
        assert "493817" in message("reset_code").body
    with time_machine.travel(T0 + timedelta(minutes=31), tick=False):
        assert outbox.forget_codes_job() == "Outbox: 1 expired codes emptied, 0 code files removed."
        db.session.expire_all()
        assert message("reset_code").body == "" and "Samahan" in message("org_approved").body
        app.extensions["outbox.sender"] = sender = outbox.MemorySender()
        assert outbox.send_pending() == (1, 0) and [m.kind for m in sender.sent] == ["org_approved"]
        assert message("reset_code").sent_at is None
        assert outbox.forget_codes_job() is None


def test_the_worker_forgets_codes(app):
    assert outbox.forget_codes_job in cli.PERIODIC_JOBS


# --- outbox files ---

def test_outbox_files_are_private_from_the_start(app, tmp_path, no_chmod):
    del app.extensions["outbox.sender"]
    folder = tmp_path / "instance" / "outbox"
    app.config["OUTBOX_DIR"] = str(folder)
    outbox.queue(UserFactory(email="ana@example.org", phone=None), "org_approved", org="Samahan")
    db.session.commit()
    assert outbox.send_pending() == (1, 0)
    [written] = folder.iterdir()
    assert re.fullmatch(r"\d{8}T\d{6}-\d+-email-org_approved\.txt", written.name)
    assert mode(folder) == 0o700 and mode(written) == 0o600


def test_an_outbox_folder_made_before_is_tightened(app, tmp_path):
    del app.extensions["outbox.sender"]
    folder = tmp_path / "outbox"
    folder.mkdir(mode=0o755)
    app.config["OUTBOX_DIR"] = str(folder)
    outbox.queue(UserFactory(), "org_approved", org="Samahan")
    db.session.commit()
    assert outbox.send_pending() == (1, 0)
    assert mode(folder) == 0o700


def test_code_files_are_removed_once_the_code_expired(app, tmp_path):
    del app.extensions["outbox.sender"]
    app.config["OUTBOX_DIR"] = str(tmp_path)
    with time_machine.travel(T0, tick=False):
        outbox.queue(UserFactory(), "reset_code", code="493817", minutes=30)
        outbox.queue(UserFactory(), "org_approved", org="Samahan")
        db.session.commit()
        assert outbox.send_pending() == (2, 0)
    others = {"notes.txt", "20261129T020000-7-sms-reset_code.txt.bak", "20261129T020000-7-sms-reset_code"}
    for name in others:
        (tmp_path / name).write_text("not the portal's")
    with time_machine.travel(T0 + timedelta(minutes=29), tick=False):
        assert outbox.forget_codes_job() is None
        assert len(list(tmp_path.glob("*-reset_code.txt"))) == 1
    with time_machine.travel(T0 + timedelta(minutes=31), tick=False):
        assert outbox.forget_codes_job() == "Outbox: 0 expired codes emptied, 1 code files removed."
    names = {p.name for p in tmp_path.iterdir()}
    assert not any(n.endswith("-reset_code.txt") for n in names)
    assert others < names and any(n.endswith("-org_approved.txt") for n in names)


def test_forgetting_codes_needs_no_outbox_folder(app, tmp_path):
    app.config["OUTBOX_DIR"] = None
    assert outbox.forget_codes_job() is None
    app.config["OUTBOX_DIR"] = str(tmp_path / "never-made")
    assert outbox.forget_codes_job() is None


# --- the instance folder and the secret key ---

def test_instance_folder_and_its_keys_are_private_from_the_start(monkeypatch, tmp_path, no_chmod):
    """The secret key and the key of the encrypted fields (portal/crypto.py), made on first run."""
    monkeypatch.setattr(config, "INSTANCE", tmp_path / "instance")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FIELD_KEYS", raising=False)
    first = config.DevelopmentConfig()
    again = config.DevelopmentConfig()
    assert len(first.SECRET_KEY) > 40 and again.SECRET_KEY == first.SECRET_KEY  # kept across restarts
    assert again.FIELD_KEYS == first.FIELD_KEYS and len(first.FIELD_KEYS) == 44
    assert mode(tmp_path / "instance") == 0o700
    assert sorted(p.name for p in (tmp_path / "instance").iterdir()) == ["field_keys", "secret_key"]  # no scratch
    assert mode(tmp_path / "instance" / "secret_key") == mode(tmp_path / "instance" / "field_keys") == 0o600


def test_an_instance_folder_made_before_is_tightened(monkeypatch, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    monkeypatch.setattr(config, "INSTANCE", instance)
    monkeypatch.setenv("SECRET_KEY", "from the environment")
    monkeypatch.setenv("FIELD_KEYS", "keys from the environment")
    assert config.ProductionConfig().SECRET_KEY == "from the environment"
    assert config.ProductionConfig().FIELD_KEYS == "keys from the environment"
    assert mode(instance) == 0o700 and not any(instance.iterdir())


# --- the SQLite database ---

@pytest.mark.parametrize("existing", [False, True], ids=["new", "made before"])
def test_sqlite_database_files_are_private(tmp_path, request, existing):
    path = tmp_path / "portal.db"
    if existing:
        for name in ("portal.db", "portal.db-wal", "portal.db-shm"):
            (tmp_path / name).touch(mode=0o644)
    else:
        request.getfixturevalue("no_chmod")
    app = make_app(f"sqlite:///{path}")
    with app.app_context():
        db.session.execute(text("CREATE TABLE t (x INTEGER)"))
        db.session.execute(text("INSERT INTO t VALUES (1)"))
        db.session.commit()
        assert {name: mode(tmp_path / name) for name in ("portal.db", "portal.db-wal", "portal.db-shm")} == {
            "portal.db": 0o600, "portal.db-wal": 0o600, "portal.db-shm": 0o600}
        db.session.remove()
        db.engine.dispose()


# --- uploaded materials ---

def test_uploaded_materials_are_private_from_the_start(app, tmp_path, no_chmod):
    folder = tmp_path / "materials"
    app.config["MATERIALS_DIR"] = str(folder)
    stored = materials.store(FileStorage(stream=BytesIO(PDF_BYTES), filename="gabay.pdf"))
    assert mode(folder) == 0o700 and mode(folder / stored.name) == 0o600


def test_a_materials_folder_made_before_is_tightened(app, tmp_path):
    folder = tmp_path / "materials"
    folder.mkdir(mode=0o755)
    app.config["MATERIALS_DIR"] = str(folder)
    materials.store(FileStorage(stream=BytesIO(PDF_BYTES), filename="gabay.pdf"))
    assert mode(folder) == 0o700
