from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.accounts.roles import Power, can
from portal.extensions import db
from portal.notifications import services as outbox
from portal.organisations import services as orgs
from portal.organisations.forms import DecideForm, RejectForm
from portal.organisations.models import REJECT_REASON_LABELS, Organisation
from portal.staff import bp, queries
from portal.accounts import services as accounts
from portal.staff.forms import HelpIntoAccountForm, QueueFilterForm
from portal.web import (
    act, attempt, block_or_redirect, filters_from, get_or_404, is_safe_next, paginate, redirect_to, render, render_form,
    require,
)
from portal.web.forms import EmptyForm
from portal.web.templating import masked


@bp.before_request
@login_required
def staff_only():
    require(can(current_user, Power.STAFF_PAGES))


@bp.get("/")
def dashboard():
    return render("staff/dashboard.html", counts=queries.counts_by_state())


@bp.get("/organisations")
def queue():
    filters, used = filters_from(QueueFilterForm)
    page = paginate(queries.queue_query(used.state.data or "pending", used.community.data or "", used.q.data or ""))
    return render("staff/queue.html", "results", filters=filters, page=page, reject_reasons=_reasons)


@bp.post("/organisations/<int:org_id>/approve")
def approve(org_id):
    org = get_or_404(Organisation, org_id)
    form = DecideForm()
    if form.validate_on_submit():
        act(orgs.approve, current_user, org, form.expected_state.data or None, form.seen_version,
            done=_("%(org)s was approved.", org=org.name))
    return _row_answer(org)


@bp.post("/organisations/<int:org_id>/reject")
def reject(org_id):
    org = get_or_404(Organisation, org_id)
    form = RejectForm()
    if form.validate_on_submit():
        act(orgs.reject, current_user, org, form.reason.data, form.note.data, form.expected_state.data or None,
            form.seen_version, done=_("%(org)s was not approved. The leader was told why.", org=org.name))
    else:
        flash(_("Choose a reason, and keep the note under 500 characters."), "error")
    return _row_answer(org)


@bp.post("/organisations/<int:org_id>/name/approve")
def approve_name(org_id):
    org = get_or_404(Organisation, org_id)
    form = DecideForm()
    if form.validate_on_submit():
        act(orgs.approve_name, current_user, org, form.seen_version,
            done=_("The new name was approved. The leader was told."))
    return _row_answer(org)


@bp.post("/organisations/<int:org_id>/name/reject")
def reject_name(org_id):
    org = get_or_404(Organisation, org_id)
    form = DecideForm()
    if form.validate_on_submit():
        act(orgs.reject_name, current_user, org, form.seen_version,
            done=_("The organisation keeps its name. The leader was told."))
    return _row_answer(org)


def _reasons():
    """The reasons to choose from, in the reader's language, made once per page."""
    return [(value, str(label)) for value, label in REJECT_REASON_LABELS.items()]


def _row_answer(org):
    back = request.form.get("back", "")
    url = back if is_safe_next(back) and back.startswith("/staff/") else url_for("staff.queue")
    return block_or_redirect(url, "staff/queue.html", "row", lambda: _row(org))


def _row(org):
    db.session.refresh(org)
    return dict(org=org, reject_reasons=_reasons)


# --- messages that did not arrive (the administrator's) ---

@bp.get("/messages")
def messages():
    require(can(current_user, Power.RESEND_MESSAGES))
    return render("staff/messages.html", page=paginate(outbox.failed_messages()), form=EmptyForm())


@bp.post("/messages/<int:msg_id>/resend")
def resend_message(msg_id):
    require(can(current_user, Power.RESEND_MESSAGES))
    if EmptyForm().validate_on_submit():
        act(outbox.resend, current_user, msg_id, done=_("The message is back in the outbox: it goes within a minute."))
    return redirect_to(url_for("staff.messages"))


# --- at the desk: she forgot her password, and her number was never confirmed ---

@bp.route("/help", methods=["GET", "POST"])
def help_into_account():
    """She stands at the desk with her phone: a code to set a new password goes to her number (confirmed
    or not), and she types it on her phone. Nothing of her account is shown before the code is sent."""
    require(can(current_user, Power.HELP_INTO_ACCOUNT))
    form = HelpIntoAccountForm()
    if form.validate_on_submit():
        user, error = attempt(accounts.assisted_reset, current_user, form.identifier.data)
        if error is None:
            flash(_("A code went to %(name)s (%(to)s). On her phone she opens Forgot your password?, then "
                    "I already have a code, and types her number, the code and a new password.",
                    name=user.name, to=masked(user.phone) if user.phone else _("by e-mail")), "success")
            return redirect_to(url_for("staff.help_into_account"))
        form.identifier.errors.append(str(error))
    return render_form("staff/help.html", form=form)
