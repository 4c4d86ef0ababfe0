from flask import Blueprint

bp = Blueprint("accounts", __name__, url_prefix="/auth")

from portal.accounts import routes  # noqa: E402,F401
