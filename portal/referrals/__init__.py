"""Mutual Care and Support: referrals of workers in crisis (rules in services.py, who may in access.py)."""
from flask import Blueprint

bp = Blueprint("referrals", __name__, url_prefix="/referrals")
staff_bp = Blueprint("referrals_staff", __name__, url_prefix="/staff/referrals")

from portal.referrals import routes  # noqa: E402,F401
