from flask import Blueprint, jsonify
from flask_login import current_user
from sqlalchemy import text

from portal.extensions import db, limiter

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    from portal.organisations.forms import JoinForm
    from portal.organisations.services import memberships_for
    from portal.web import render
    from portal.web.forms import EmptyForm
    from portal.agenda import needs_now
    memberships = memberships_for(current_user) if current_user.is_authenticated else []
    now = needs_now(current_user, memberships) if current_user.is_authenticated else None
    return render("home.html", memberships=memberships, join_form=JoinForm(), now=now, form=EmptyForm())


@bp.get("/healthz")
@limiter.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database means: not healthy
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
