"""End-to-end fixtures: a real server on 127.0.0.1 with its own SQLite file, and Debian's Chromium.

The server is the app made by `create_app` with CSRF on (TestConfig keeps Flask-WTF's default),
migrated with Flask-Migrate, served by werkzeug in a daemon thread. Each test gets a fresh database
and a fresh server, so parametrized runs never see each other's rows.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from portal import create_app
from portal.config import TestConfig
from portal.extensions import db

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 10_000


@dataclass
class LiveServer:
    url: str
    app: Flask


@pytest.fixture
def live_server(tmp_path: Path):
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=url, WTF_CSRF_ENABLED=True))
    assert app.config["WTF_CSRF_ENABLED"], "the browser journey must carry real CSRF tokens"
    with app.app_context():
        upgrade()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="session")
def playwright_instance():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.access(CHROMIUM, os.X_OK):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: CI must install Debian's chromium for the browser tests")
        pytest.skip(f"{CHROMIUM} is not installed")
    with sync_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def js_enabled(request) -> bool:
    return request.param


class ConsoleWatch:
    """Console errors, uncaught page errors and failed responses of every page of a context."""

    def __init__(self):
        self.problems: list[str] = []
        self._pages: list = []

    def attach(self, page):
        if any(p is page for p in self._pages):
            return
        self._pages.append(page)
        page.on("console", lambda msg: msg.type == "error" and self.problems.append(
            f"console error on {page.url}: {msg.text} ({msg.location.get('url', '')})"))
        page.on("pageerror", lambda exc: self.problems.append(f"page error on {page.url}: {exc}"))
        page.on("response", lambda r: r.status >= 400 and self.problems.append(
            f"HTTP {r.status} for {r.request.method} {r.url}"))


@pytest.fixture
def context(browser, js_enabled):
    ctx = browser.new_context(java_script_enabled=js_enabled, locale="en-GB")
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.set_default_navigation_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def watch(context) -> ConsoleWatch:
    """Console errors of every page the context opens; the test asserts `watch.problems` is empty."""
    w = ConsoleWatch()
    context.on("page", w.attach)
    return w


@pytest.fixture
def page(context, watch):
    from playwright.sync_api import expect
    expect.set_options(timeout=TIMEOUT_MS)
    page = context.new_page()
    watch.attach(page)
    return page
