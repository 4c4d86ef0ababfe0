from flask import Blueprint

bp = Blueprint("materials", __name__, url_prefix="/materials")
staff_bp = Blueprint("materials_staff", __name__, url_prefix="/staff/materials")

from portal.trainings.materials import routes  # noqa: E402,F401
