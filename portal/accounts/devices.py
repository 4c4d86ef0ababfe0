"""Her own phone: a browser where an account has signed in before carries a device cookie (OWASP's "device
cookies"), so that failed sign-ins by strangers, who lock the account for browsers it never signed in on,
never lock her out of her own phone. The cookie holds a random device id and, for each account that signed
in on it, an HMAC of the account's id with the app's secret: it names no one to a person who reads it. The
quick exit removes it with every other cookie of the site."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from portal.crypto import keyed_hash
from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

COOKIE = "device"
MAX_ACCOUNTS = 5  # a shared phone: the newest five accounts


@dataclass
class Device:
    id: str
    marks: list[str] = field(default_factory=list)

    def knows(self, user_id: int) -> bool:
        return _mark(user_id) in self.marks


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="device")


def _mark(user_id: int) -> str:
    return keyed_hash("device", str(user_id))[:16]


def this_device() -> Device | None:
    raw = request.cookies.get(COOKIE)
    if not raw or len(raw) > 1000:
        return None
    try:
        data = _serializer().loads(raw)
        return Device(id=str(data["d"]), marks=[str(m) for m in data["a"]][:MAX_ACCOUNTS])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def remember_device(response, user_id: int):
    """After a successful sign-in: this browser is one the account has signed in on."""
    device = this_device() or Device(id=secrets.token_urlsafe(12))
    mark = _mark(user_id)
    marks = [mark] + [m for m in device.marks if m != mark]
    config = current_app.config
    response.set_cookie(COOKIE, _serializer().dumps({"d": device.id, "a": marks[:MAX_ACCOUNTS]}),
                        max_age=365 * 86400, httponly=True, samesite="Lax",
                        secure=config.get("SESSION_COOKIE_SECURE", False))
    return response
