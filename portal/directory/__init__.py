"""The directory of partner services (IPMA): shelters, legal aid, hospital social workers, consulates, hotlines,
unions and other NGOs, in the shape of Open Referral's HSDS. A shelter's beds are places of portal/capacity.py."""
from flask import Blueprint

bp = Blueprint("directory", __name__, url_prefix="/directory")
staff_bp = Blueprint("directory_staff", __name__, url_prefix="/staff/directory")

from portal.directory import routes  # noqa: E402,F401
