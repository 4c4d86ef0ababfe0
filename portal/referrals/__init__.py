"""Mutual Care and Support: referrals of workers in crisis (rules in services.py, who may in access.py)."""
from flask import Blueprint

bp = Blueprint("referrals", __name__, url_prefix="/referrals")
staff_bp = Blueprint("referrals_staff", __name__, url_prefix="/staff/referrals")
check_bp = Blueprint("check", __name__, url_prefix="/check")  # a worker's own code: a name that says nothing

from portal.referrals import routes  # noqa: E402,F401
