from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from portal import throttle
from portal.extensions import login
from portal.organisations import bp, services
from portal.organisations.forms import JoinForm, OrganisationForm, RoleForm
from portal.organisations.models import Membership, MemberState, Organisation
from portal.web import (
    act, attempt, block_or_redirect, get_or_404, paginate, redirect_to, render, render_form, require,
)
from portal.web.forms import EmptyForm


@bp.get("/")
@login_required
def mine():
    return render("organisations/mine.html", memberships=services.memberships_for(current_user),
                  join_form=JoinForm())


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Open to everyone to read; registering needs an account."""
    form = OrganisationForm()
    if request.method == "POST" and not current_user.is_authenticated:
        return login.unauthorized()
    error = None
    if current_user.is_authenticated and form.validate_on_submit():
        org, error = attempt(services.register_organisation, current_user, address=throttle.address(), **form.data)
        if error is None:
            flash(_("Thank you. The Mission will look at your registration, usually within a week."), "success")
            return redirect_to(url_for("organisations.show", org_id=org.id))
    return render_form("organisations/register.html", form=form, error=error)


@bp.route("/join", methods=["GET", "POST"])
@login_required
def join():
    form = JoinForm(code=request.args.get("code", ""))
    error = None
    if form.validate_on_submit():
        m, error = attempt(services.join, current_user, form.code.data, address=throttle.address())
        if error is None:
            flash(_("Your request to join %(org)s was sent. The leader will accept it.", org=m.organisation.name),
                  "success")
            return redirect_to(url_for("organisations.mine"))
    return render_form("organisations/join.html", form=form, error=error)


@bp.get("/<int:org_id>")
@login_required
def show(org_id):
    org = get_or_404(Organisation, org_id)
    mine = services.membership_of(current_user, org)
    # The leader sees her own registration while it waits, and why it was not approved.
    require(services.can_view(current_user, org) or (mine is not None and mine.is_manager))
    inside = services.can_see_inside(current_user, org)
    return render("organisations/show.html", org=org, me=mine, manage=services.can_manage(current_user, org),
                  inside=inside, members=_members(org) if inside else None,
                  leader=services.is_leader(current_user, org), form=EmptyForm(), role_form=RoleForm())


@bp.route("/<int:org_id>/edit", methods=["GET", "POST"])
@login_required
def edit(org_id):
    org = get_or_404(Organisation, org_id)
    require(services.can_manage(current_user, org))
    form = OrganisationForm(obj=org) if request.method == "GET" else OrganisationForm()
    if request.method == "GET":
        form.languages.data = org.language_list
        form.name.data = org.pending_name or org.name
    error = None
    if form.validate_on_submit():
        _saved, error = attempt(services.update_profile, current_user, org, **form.data)
        if error is None:
            flash(_("The profile was saved."), "success")
            if org.pending_name:
                flash(_("The new name is shown once the Mission approves it."), "info")
            return redirect_to(url_for("organisations.show", org_id=org.id))
    return render_form("organisations/edit.html", form=form, org=org, error=error)


@bp.post("/<int:org_id>/code")
@login_required
def rotate_code(org_id):
    org = get_or_404(Organisation, org_id)
    require(services.can_manage(current_user, org))
    if EmptyForm().validate_on_submit():
        act(services.rotate_join_code, current_user, org,
             done=_("A new join code was made. The old one no longer works."))
    return redirect_to(url_for("organisations.show", org_id=org.id))


def _membership(org_id, membership_id) -> Membership:
    m = get_or_404(Membership, membership_id)
    if m.organisation_id != org_id:
        abort(404)
    return m


@bp.post("/<int:org_id>/members/<int:membership_id>/accept")
@login_required
def accept(org_id, membership_id):
    m = _membership(org_id, membership_id)
    require(services.can_manage(current_user, m.organisation))
    if EmptyForm().validate_on_submit():
        act(services.accept_member, current_user, m, done=_("%(name)s is now a member.", name=m.user.name))
    return _members_answer(m.organisation)


@bp.route("/<int:org_id>/members/<int:membership_id>/remove", methods=["GET", "POST"])
@login_required
def remove(org_id, membership_id):
    """GET: asked once before a member is removed, or before she leaves; POST: done."""
    m = _membership(org_id, membership_id)
    own = m.user_id == current_user.id
    require(own or services.can_manage(current_user, m.organisation))
    if request.method == "GET":
        org = m.organisation
        return render("confirm.html", form=EmptyForm(), back=url_for("organisations.show", org_id=org.id),
                      action=url_for("organisations.remove", org_id=org.id, membership_id=m.id),
                      question=_("Leave %(org)s?", org=org.name) if own
                      else _("Remove %(name)s from %(org)s?", name=m.user.name, org=org.name),
                      detail=None if own else _("%(name)s will no longer see the organisation's trainings and news. "
                                                "She can ask to join again with the code.", name=m.user.name),
                      yes=_("Yes, leave") if own else _("Yes, remove"), no=_("No, go back"))
    if EmptyForm().validate_on_submit():
        act(services.remove_member, current_user, m,
             done=_("You left the organisation.") if own else _("%(name)s was removed.", name=m.user.name))
    if own:
        return redirect_to(url_for("organisations.mine"))
    return _members_answer(m.organisation)


@bp.post("/<int:org_id>/members/<int:membership_id>/role")
@login_required
def set_role(org_id, membership_id):
    m = _membership(org_id, membership_id)
    require(services.is_leader(current_user, m.organisation))
    form = RoleForm()
    if form.validate_on_submit():
        act(services.set_role, current_user, m, form.role.data, done=_("The role was changed."))
    else:
        flash(_("Choose a role from the list."), "error")
    return _members_answer(m.organisation)


MEMBERS_PER_PAGE = 50


def _members(org):
    """A page of the members, those waiting for an answer first."""
    return paginate(select(Membership).where(
        Membership.organisation_id == org.id, Membership.state != MemberState.REMOVED)
        .order_by(Membership.state.desc(), Membership.id)
        .options(lazyload(Membership.organisation)), per_page=MEMBERS_PER_PAGE)  # the page has it already


def _members_answer(org):
    """HTMX swaps the members block in place; without it, back to the page."""
    return block_or_redirect(url_for("organisations.show", org_id=org.id), "organisations/show.html", "members",
                             lambda: dict(org=org, manage=services.can_manage(current_user, org), inside=True,
                                          members=_members(org), leader=services.is_leader(current_user, org),
                                          form=EmptyForm(), role_form=RoleForm(),
                                          me=services.membership_of(current_user, org)))
