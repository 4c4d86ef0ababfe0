"""Personal and case fields are encrypted at rest, and their keys rotate (portal/crypto.py)."""
from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from portal import crypto
from portal.extensions import db
from portal.referrals import services
from portal.referrals.models import Referral
from tests.factories import OrganisationFactory

NAME, STORY = "Dewi Lestari", "Her employer took her phone and passport."


def referral() -> Referral:
    org = OrganisationFactory()
    r = services.start(org.created_by, org, "k")
    services.save_what(org.created_by, r, ["abuse"], "now", STORY)
    services.save_worker(org.created_by, r, NAME, "+85291230000", None, "id", False)
    return r


def raw(column: str) -> str:
    return db.session.execute(text(f"SELECT {column} FROM referrals")).scalar_one()


def use_keys(app, keys: str) -> None:
    app.config["FIELD_KEYS"] = keys
    crypto.init_app(app)
    db.session.expire_all()


def test_what_she_told_is_stored_as_tokens_and_read_back_whole(app):
    r = referral()
    stored = raw("worker") + raw("story")
    assert NAME not in stored and "passport" not in stored
    assert Fernet(app.config["FIELD_KEYS"].split(",")[0]).decrypt(raw("story").encode())  # a Fernet token
    db.session.expire_all()
    r = db.session.get(Referral, r.id)
    assert r.story == STORY and r.worker["name"] == NAME and r.worker["interpreter"] is False


def test_a_changed_token_is_refused_not_read_as_something_else(app):
    r = referral()
    token = raw("story")
    forged = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    db.session.execute(text("UPDATE referrals SET story = :t"), {"t": forged})
    db.session.commit()
    db.session.expire_all()
    with pytest.raises(crypto.InvalidToken):
        db.session.get(Referral, r.id).story


def test_rotation_encrypts_everything_again_with_the_new_key(app):
    old = app.config["FIELD_KEYS"]
    r = referral()
    services.record_consent(r.referred_by, r, "in_person", services.today())
    before = raw("story")
    new = crypto.new_key()
    use_keys(app, f"{new},{old}")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["rotate-field-keys"])
    assert result.exit_code == 0, result.output
    assert "referrals.story: 1 encrypted again" in result.output
    assert raw("story") != before
    use_keys(app, new)  # the old key is gone: everything still reads
    r = db.session.get(Referral, r.id)
    assert r.story == STORY and r.worker["name"] == NAME
    use_keys(app, old)  # and the old key alone no longer opens anything
    with pytest.raises(crypto.InvalidToken):
        db.session.get(Referral, r.id).story


def test_rotation_without_the_old_key_stops_and_says_so(app):
    referral()
    before = raw("story")
    use_keys(app, crypto.new_key())
    result = app.test_cli_runner().invoke(args=["rotate-field-keys"])
    assert result.exit_code != 0 and "keep the old key" in result.output
    assert raw("story") == before


def test_no_key_no_app(app):
    app.config["FIELD_KEYS"] = ""
    with pytest.raises(RuntimeError):
        crypto.init_app(app)
