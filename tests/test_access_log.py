"""The access log writes routes, not paths: the private calendar address's token never reaches a log."""
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_logs_the_route_not_the_calendar_token(tmp_path):
    """gunicorn as `make run` starts it (gunicorn.conf.py from the project's folder), on a database of its own."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'log.db'}", "SECRET_KEY": "test", "PORTAL_ENV": "development"}
    bin_dir = Path(sys.executable).parent
    subprocess.run([str(bin_dir / "flask"), "--app", "portal", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    token = "secret-calendar-token-0123456789abcdef"
    setup = ("from portal import create_app\nfrom portal.extensions import db\n"
             "from portal.accounts.models import CalendarFeed, User\n"
             "app = create_app()\nwith app.app_context():\n"
             "    u = User(name='Ana', phone='+85251230001', password_hash='x', locale='en')\n"
             "    db.session.add(u); db.session.flush()\n"
             f"    db.session.add(CalendarFeed(user_id=u.id, token='{token}')); db.session.commit()\n")
    subprocess.run([sys.executable, "-c", setup], cwd=ROOT, env=env, check=True, capture_output=True)
    port = _free_port()
    log = tmp_path / "access.log"
    with open(log, "wb") as out:
        server = subprocess.Popen([str(bin_dir / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1",
                                   "wsgi:app"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            for _ in range(100):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/trainings/calendar/{token}.ics") as r:
                        assert r.status == 200 and b"BEGIN:VCALENDAR" in r.read()
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                raise AssertionError("gunicorn did not answer")
        finally:
            server.terminate()
            server.wait(10)
    text = log.read_text()
    assert '"GET /trainings/calendar/<token>.ics" 200' in text
    assert token not in text
