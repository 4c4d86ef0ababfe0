"""Sign-in is rate-limited per account and per address; counters shared through Redis."""
import os
import re

import pytest

from tests.conftest import make_app
from tests.factories import PASSWORD, UserFactory
from tests.helpers import csrf_token


def attempt(client, identifier, password="wrong password", addr="10.0.0.1"):
    token = csrf_token(client)
    return client.post("/auth/login", data={"identifier": identifier, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": addr})


def test_failed_sign_ins_are_limited_per_account(client):
    user = UserFactory()
    for _ in range(5):
        assert attempt(client, user.phone).status_code == 422
    response = attempt(client, user.phone, password=PASSWORD)
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    # The sign-in form again, with what she typed (not the password) and why it was refused.
    assert "please wait a few minutes" in page and f'value="{user.phone}"' in page and PASSWORD not in page
    assert 'name="password"' in page
    # The same account written another way is the same account.
    assert attempt(client, user.phone.replace("+852", ""), addr="10.0.0.2").status_code == 429
    # Another account from the same address still signs in.
    other = UserFactory()
    assert attempt(client, other.phone, password=PASSWORD).status_code == 303


def test_with_htmx_the_refusal_replaces_the_form_in_its_language(client):
    user = UserFactory(locale="id")
    for _ in range(5):
        attempt(client, user.phone)
    token = csrf_token(client)
    response = client.post("/auth/login", data={"identifier": user.phone, "password": "x", "csrf_token": token},
                           headers={"HX-Request": "true", "Accept-Language": "id"},
                           environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert response.status_code == 429
    block = response.get_data(as_text=True)
    assert block.lstrip().startswith('<div id="form-block">') and "<html" not in block
    assert "Terlalu banyak" in block


def test_too_many_reset_requests_keep_the_form(client):
    for _ in range(10):
        client.post("/auth/reset", data={"identifier": "+852 5123 4567", "csrf_token": csrf_token(client)})
    response = client.post("/auth/reset", data={"identifier": "+852 5123 4567", "csrf_token": csrf_token(client)})
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "please wait a few minutes" in page and 'name="identifier"' in page


def test_successful_sign_ins_do_not_count(app):
    user = UserFactory()
    for _ in range(8):
        assert attempt(app.test_client(), user.phone, password=PASSWORD).status_code == 303


def test_failed_sign_ins_are_limited_per_address(app, client):
    app.config["LOGIN_LIMIT_ADDRESS"] = "3 per 15 minutes"
    for i in range(3):
        assert attempt(client, f"person{i}@example.org").status_code == 422
    assert attempt(client, "someone.else@example.org").status_code == 429
    assert attempt(client, "someone.else@example.org", addr="10.9.9.9").status_code == 422


# A database of its own, emptied by the test: one per pytest-xdist worker (15, 14, ...).
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
REDIS = re.sub(r"/(\d+)$", lambda m: f"/{int(m.group(1)) - _WORKER}",
               os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15"))


def redis_up():
    try:
        import redis
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
        return True
    except Exception:  # any failure to reach it: skip, CI starts Redis so it runs there
        return False


@pytest.mark.redis
@pytest.mark.skipif(not redis_up() and not os.environ.get("CI"), reason="no Redis on 127.0.0.1:6379")
def test_counters_are_shared_between_workers_through_redis(database):
    """Two app instances (as two gunicorn workers would be) count the same account together."""
    import redis
    r = redis.Redis.from_url(REDIS)
    r.flushdb()
    apps = [make_app(database, RATELIMIT_STORAGE_URI=REDIS) for _ in range(2)]
    from portal.extensions import db
    from tests.conftest import empty_tables
    with apps[0].app_context():
        user = UserFactory()
        phone = user.phone
    try:
        for i in range(5):
            with apps[i % 2].app_context():
                assert attempt(apps[i % 2].test_client(), phone).status_code == 422
        with apps[1].app_context():
            assert attempt(apps[1].test_client(), phone, password=PASSWORD).status_code == 429
        keys = r.keys("*login-account*")
        assert keys and not any(phone.encode() in k for k in keys)  # hashed: no phone number in Redis
    finally:
        r.flushdb()
        with apps[0].app_context():
            empty_tables()
        for a in apps:
            with a.app_context():
                db.session.remove()
                db.engine.dispose()
