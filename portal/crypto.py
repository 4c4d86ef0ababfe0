"""Personal and case fields encrypted at rest, with the `cryptography` library's Fernet (AES-128 in CBC mode
with an HMAC-SHA256 over it: a changed or swapped value is refused, never read as something else).

A column declared `Encrypted` holds a JSON value (a text, a number, a list or a dict) as one Fernet token. A
copy of the database, a backup or a dump holds only tokens; nothing in it can be filtered or sorted, so lists
filter only on plain columns (states, codes, dates) and never need these.

Keys: `FIELD_KEYS`, Fernet keys separated by commas, from the environment; `make run` keeps a development key
in `instance/field_keys` (0600), as it does the secret key. The first key encrypts, every key decrypts
(MultiFernet). To rotate: put a new key first, run `flask --app portal rotate-field-keys` (every encrypted
field is encrypted again with the first key, in one transaction per table), then remove the old key. Tested
in tests/test_crypto.py.
"""
from __future__ import annotations

import hashlib
import hmac
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import Text, select, type_coerce, update
from sqlalchemy.types import TypeDecorator

from portal.extensions import db

_KEY = "portal.fernet"


def init_app(app) -> None:
    keys = [k.strip() for k in str(app.config.get("FIELD_KEYS") or "").split(",") if k.strip()]
    if not keys:
        raise RuntimeError("FIELD_KEYS is empty: personal fields cannot be encrypted")
    app.extensions[_KEY] = MultiFernet([Fernet(k) for k in keys])


def new_key() -> str:
    return Fernet.generate_key().decode()


def _fernet() -> MultiFernet:
    return current_app.extensions[_KEY]


def encrypt(value) -> str:
    return _fernet().encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()).decode()


def decrypt(token: str):
    return json.loads(_fernet().decrypt(token.encode()))


class Encrypted(TypeDecorator):
    """A JSON value stored encrypted (see the module). Assign a new value to change it: a dict changed in
    place is not seen as a change."""
    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)


def keyed_hash(purpose: str, value: str) -> str:
    """An HMAC-SHA256 of `value` with the app's secret key, for one `purpose`: what a code, a worker's number
    or a device is kept and looked up by (a copy of the database alone cannot try values against it, and
    checking one costs the same microseconds whatever it is)."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def encrypted_columns():
    """(table, column) for every Encrypted column of the schema."""
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, Encrypted):
                yield table, column


def rotate() -> dict[str, int]:
    """Every encrypted value encrypted again with the first key; how many per table. A value that no key
    opens stops the rotation (InvalidToken) before anything is written for its table."""
    done = {}
    fernet = _fernet()
    for table, column in encrypted_columns():
        key = table.primary_key.columns.values()[0]
        raw = type_coerce(column, Text)
        rows = db.session.execute(select(key, raw).where(column.isnot(None))).all()
        new = [(ident, token, fernet.rotate(token.encode()).decode()) for ident, token in rows]
        for ident, old, token in new:
            # Only a value still as it was read: one changed or erased meanwhile (a case shredded) stays so.
            db.session.execute(update(table).where(key == ident, raw == old)
                               .values({column.name: type_coerce(token, Text)}))
        done[f"{table.name}.{column.name}"] = len(new)
        db.session.commit()
    return done


__all__ = ["Encrypted", "InvalidToken", "decrypt", "encrypt", "init_app", "new_key", "rotate"]
