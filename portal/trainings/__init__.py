from flask import Blueprint

bp = Blueprint("trainings", __name__, url_prefix="/trainings")
staff_bp = Blueprint("trainings_staff", __name__, url_prefix="/staff/trainings")

from portal.trainings import routes  # noqa: E402,F401
