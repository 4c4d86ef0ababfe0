"""The outbox (services.py), the texts of messages (messages.py), the SMS gateway (sms.py) and what the
gateways report back (routes.py)."""
from flask import Blueprint

hooks_bp = Blueprint("hooks", __name__, url_prefix="/hooks")

from portal.notifications import routes  # noqa: E402,F401
