import hashlib
import re
import threading

from portal.extensions import db
from portal.referrals.models import READ_ACTIONS

from tests.factories import PASSWORD


def csrf_token(client, url="/auth/login"):
    html = client.get(url).get_data(as_text=True)
    return re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def sign_in(client, user, password=PASSWORD):
    token = csrf_token(client)
    identifier = user.email or user.phone
    response = client.post("/auth/login", data={"identifier": identifier, "password": password,
                                                "csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response


def post(client, url, data=None, page=None, **kwargs):
    """POST with a fresh CSRF token taken from a page, as a browser would."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, page or "/"))
    return client.post(url, data=data, **kwargs)




def snapshot() -> str:
    """A digest of every row of every table: equal before and after means nothing changed (but for the audit
    rows of reads). Read through the driver's own cursor, the statements made once: the hostile sweep takes
    two snapshots a submission, and SQLAlchemy's rows and their repr were two thirds of its time."""
    digest = hashlib.sha256()
    cursor = db.session.connection().connection.cursor()
    try:
        for name, sql in _snapshot_statements():
            cursor.execute(sql)
            digest.update(f"{name}:{cursor.fetchall()!r}".encode())
    finally:
        cursor.close()
    db.session.rollback()
    return digest.hexdigest()


_STATEMENTS: list[tuple[str, str]] = []


def _snapshot_statements() -> list[tuple[str, str]]:
    if not _STATEMENTS:
        reads = ", ".join(f"'{action}'" for action in sorted(READ_ACTIONS))
        for table in db.metadata.sorted_tables:
            where = f" WHERE action NOT IN ({reads})" if table.name == "audit_log" else ""
            _STATEMENTS.append((table.name, f"SELECT * FROM {table.name}{where} ORDER BY 1"))
    return _STATEMENTS


def at_once(app, ids, attempt) -> list:
    """`attempt(id)` for each id, each in its own thread, app context and connection, all released at the same
    moment (a barrier): what each returned (its outcome), in the order they finished."""
    outcomes, barrier = [], threading.Barrier(len(ids), timeout=60)

    def run(ident):
        with app.app_context():
            try:
                outcomes.append(attempt(ident, barrier.wait))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes
