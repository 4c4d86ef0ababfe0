"""SQLite as the embedded database: WAL, a busy timeout, foreign keys, and
transactions we begin ourselves (so that `BEGIN IMMEDIATE` can serialise writers).
Its files are the portal account's only (0600): they hold every account and referral."""
import re
import sqlite3
from contextlib import suppress

from sqlalchemy import event
from sqlalchemy.engine import Engine

from portal.files import create_private, tighten

BUSY_TIMEOUT_MS = 10000


@event.listens_for(Engine, "do_connect")
def _sqlite_create_private(dialect, connection_record, cargs, cparams):
    """Make a new database file 0600 before SQLite does (it would make it 0644, less the umask, and a
    reader who opened it then could read it for ever). SQLite gives its -wal and -shm files the mode
    of the database file."""
    if dialect.name != "sqlite" or cparams.get("uri") or not cargs or cargs[0] in ("", ":memory:"):
        return
    with suppress(FileExistsError):
        create_private(cargs[0]).close()


def _tighten_files(dbapi_connection) -> None:
    """A database made before this rule: its file, and the -wal and -shm that take its mode."""
    for _, name, path in dbapi_connection.execute("PRAGMA database_list").fetchall():
        if name == "main" and path:
            for file in (path, f"{path}-wal", f"{path}-shm"):
                with suppress(FileNotFoundError):
                    tighten(file)


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, connection_record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None  # pysqlite's own BEGIN handling is off; see _sqlite_begin
    _tighten_files(dbapi_connection)
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    """Code that counts and takes a limited resource asks for IMMEDIATE: it takes the write lock up front.

    Any other transaction begins at its first write (below), not here. A transaction begun DEFERRED reads
    from a snapshot; when it then writes and another connection has committed since, SQLite answers
    "database is locked" at once, without waiting (SQLITE_BUSY_SNAPSHOT): two people saving at the same
    moment gave one of them a 500. Now reads before the first write each see the latest commit (as
    PostgreSQL's READ COMMITTED does, so code correct on one is correct on the other), and the write waits
    its turn for the lock within the busy timeout."""
    if conn.dialect.name == "sqlite" and conn.get_execution_options().get("sqlite_immediate"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|SAVEPOINT)\b|\s*WITH\b.*\b(INSERT|UPDATE|DELETE)\b",
                    re.IGNORECASE | re.DOTALL)


@event.listens_for(Engine, "before_cursor_execute")
def _sqlite_first_write(conn, cursor, statement, parameters, context, executemany):
    if conn.dialect.name != "sqlite":
        return
    raw = conn.connection.dbapi_connection
    if not raw.in_transaction and _WRITE.match(statement):
        cursor.execute("BEGIN IMMEDIATE")
