from flask import Blueprint

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")
staff_bp = Blueprint("campaigns_staff", __name__, url_prefix="/staff/campaigns")
share_bp = Blueprint("share", __name__)  # a public campaign's short link, /c/<code>

from portal.campaigns import routes  # noqa: E402,F401
