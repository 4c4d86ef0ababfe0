from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.accounts.models import User
from portal.extensions import db
from portal.organisations.models import Membership, MemberState, Organisation
from portal.organisations.services import can_manage, memberships_for
from portal.trainings import bp, queries, services, staff_bp
from portal.trainings.forms import BookMembersForm, CatalogueFilterForm, CourseForm, SessionForm
from portal.trainings.models import Booking, Course, TrainingSession, WaitlistEntry
from portal.web import DomainError, act, get_or_404, paginate, redirect_to, render, render_form, require
from portal.web.forms import EmptyForm


@bp.get("/")
def catalogue():
    services.apply_expired_offers()
    filters = CatalogueFilterForm(request.args)
    if not filters.validate():
        filters = CatalogueFilterForm(formdata=None)
    query = queries.catalogue(current_user, programme=filters.programme.data or "",
                              language=filters.language.data or "", seats=bool(filters.seats.data),
                              q=filters.q.data or "")
    page = paginate(query, per_page=20)
    ids = [ts.id for ts in page.items]
    return render("trainings/catalogue.html", "results", filters=filters, sections=queries.grouped(page.items),
                  page=page, waiting=queries.waiting_counts(ids), mine=queries.holdings(current_user, ids))


def _visible(ts: TrainingSession):
    """Outreach sessions are for their organisation's members (and staff): others get 404."""
    if ts.organisation_id is None:
        return True
    if not current_user.is_authenticated:
        return False
    return current_user.is_mission or db.session.scalar(select(Membership.id).where(
        Membership.organisation_id == ts.organisation_id, Membership.user_id == current_user.id,
        Membership.state == MemberState.ACTIVE)) is not None


def _session_or_404(session_id) -> TrainingSession:
    ts = get_or_404(TrainingSession, session_id)
    if not _visible(ts):
        abort(404)
    return ts


@bp.get("/<int:session_id>")
def show(session_id):
    ts = _session_or_404(session_id)
    if services.apply_expired_offers(ts.id):
        ts = db.session.get(TrainingSession, session_id)
    return render("trainings/session.html", **_session_context(ts))


def _session_context(ts):
    booking = entry = None
    lead = []
    if current_user.is_authenticated:
        booking = db.session.scalar(select(Booking).where(Booking.session_id == ts.id,
                                                          Booking.user_id == current_user.id))
        entry = db.session.scalar(select(WaitlistEntry).where(WaitlistEntry.session_id == ts.id,
                                                              WaitlistEntry.user_id == current_user.id))
        lead = [m for m in memberships_for(current_user) if m.is_manager and m.organisation.state == "approved"]
    members = {}
    for m in lead:
        members[m.organisation_id] = [x for x in _active_members(m.organisation_id) if x.user_id != current_user.id]
    return dict(ts=ts, booking=booking, entry=entry, position=services.position(entry) if entry and
                entry.state == "waiting" else None, waiting=queries.waiting_counts([ts.id]).get(ts.id, 0),
                lead=lead, members=members, form=EmptyForm())


def _active_members(org_id):
    return db.session.scalars(select(Membership).where(
        Membership.organisation_id == org_id, Membership.state == MemberState.ACTIVE)
        .order_by(Membership.id)).all()




@bp.post("/<int:session_id>/book")
@login_required
def book(session_id):
    ts = _session_or_404(session_id)
    if EmptyForm().validate_on_submit():
        act(services.book, current_user, ts, current_user, done=_("You are booked. See you there!"))
    return redirect_to(url_for("trainings.show", session_id=session_id))


@bp.post("/<int:session_id>/waitlist")
@login_required
def join_waitlist(session_id):
    ts = _session_or_404(session_id)
    if EmptyForm().validate_on_submit():
        act(services.join_waitlist, current_user, ts, current_user,
             done=_("You are on the waiting list. We will tell you when a place is free."))
    return redirect_to(url_for("trainings.show", session_id=session_id))


@bp.post("/<int:session_id>/book-members")
@login_required
def book_members(session_id):
    ts = _session_or_404(session_id)
    form = BookMembersForm()
    form.organisation_id.choices = [(m.organisation_id, m.organisation.name) for m in memberships_for(current_user)
                                    if m.is_manager]
    if not form.validate_on_submit():
        flash(_("Choose your organisation and at least one member."), "error")
        return redirect_to(url_for("trainings.show", session_id=session_id))
    org = db.session.get(Organisation, form.organisation_id.data)
    require(org is not None and can_manage(current_user, org))
    chosen = {int(v) for v in request.form.getlist("member") if v.isdigit()}
    allowed = {m.user_id for m in _active_members(org.id)}
    people = [db.session.get(User, i) for i in sorted(chosen & allowed)]
    if not people:
        flash(_("Choose at least one member."), "error")
        return redirect_to(url_for("trainings.show", session_id=session_id))
    result = services.book_many(current_user, ts, people, org)
    if result["booked"]:
        flash(_("Booked: %(names)s.", names=", ".join(p.name for p in result["booked"])), "success")
    if result["waiting"]:
        flash(_("Full, so on the waiting list: %(names)s.", names=", ".join(p.name for p in result["waiting"])),
              "info")
    for person, message in result["refused"]:
        flash(f"{person.name}: {message}", "error")
    return redirect_to(url_for("trainings.show", session_id=session_id))


@bp.post("/bookings/<int:booking_id>/cancel")
@login_required
def cancel(booking_id):
    booking = get_or_404(Booking, booking_id)
    require(services.can_act_on(current_user, booking.user_id, booking.organisation_id))
    if EmptyForm().validate_on_submit():
        act(services.cancel_booking, current_user, booking,
             done=_("The place is released. Thank you for telling us."))
    return redirect_to(url_for("trainings.show", session_id=booking.session_id))


@bp.post("/waitlist/<int:entry_id>/leave")
@login_required
def leave(entry_id):
    return _on_entry(entry_id, services.leave_waitlist, _("You left the waiting list."))


@bp.post("/waitlist/<int:entry_id>/accept")
@login_required
def accept(entry_id):
    return _on_entry(entry_id, services.accept_offer, _("You are booked. See you there!"))


def _on_entry(entry_id, action, done):
    entry = get_or_404(WaitlistEntry, entry_id)
    require(services.can_act_on(current_user, entry.user_id, entry.organisation_id))
    if EmptyForm().validate_on_submit():
        act(action, current_user, entry, done=done)
    return redirect_to(url_for("trainings.show", session_id=entry.session_id))


@bp.get("/mine")
@login_required
def mine():
    bookings = queries.my_bookings(current_user)
    org_ids = [m.organisation_id for m in memberships_for(current_user) if m.is_manager]
    return render("trainings/mine.html", bookings=bookings, waiting=queries.my_waiting(current_user),
                  org_bookings={oid: queries.org_bookings(oid) for oid in org_ids[:5]},
                  orgs={oid: db.session.get(Organisation, oid) for oid in org_ids[:5]}, form=EmptyForm())


# --- staff ---

@staff_bp.before_request
@login_required
def staff_only():
    require(current_user.is_mission)


@staff_bp.get("/")
def sessions():
    page = paginate(select(TrainingSession).order_by(TrainingSession.starts_at.desc()))
    return render("trainings/staff_sessions.html", page=page)


@staff_bp.route("/courses/new", methods=["GET", "POST"])
def new_course():
    form = CourseForm()
    error = None
    if form.validate_on_submit():
        try:
            course = services.create_course(current_user, form.programme.data, form.language.data, form.texts())
        except DomainError as e:
            error = e.message
        else:
            flash(_("The course was created. Now add a session."), "success")
            return redirect_to(url_for("trainings_staff.new_session", course=course.id))
    return render_form("trainings/course_form.html", form=form, error=error)


@staff_bp.route("/sessions/new", methods=["GET", "POST"])
def new_session():
    form = SessionForm(course_id=request.args.get("course", type=int))
    form.course_id.choices = [(c.id, c.title) for c in db.session.scalars(select(Course).order_by(Course.id.desc()))]
    error = None
    if form.validate_on_submit():
        starts, ends, deadline = form.times()
        try:
            ts = services.create_session(current_user, db.session.get(Course, form.course_id.data), starts, ends,
                                         form.capacity.data, deadline=deadline, venue=form.venue.data,
                                         per_org_cap=form.per_org_cap.data)
        except DomainError as e:
            error = e.message
        else:
            flash(_("The session was created."), "success")
            return redirect_to(url_for("trainings.show", session_id=ts.id))
    return render_form("trainings/session_form.html", form=form, error=error)


@staff_bp.post("/sessions/<int:session_id>/cancel")
def cancel_session(session_id):
    ts = get_or_404(TrainingSession, session_id)
    if EmptyForm().validate_on_submit():
        act(services.cancel_session, current_user, ts, done=_("The session was cancelled and everyone was told."))
    return redirect_to(url_for("trainings.show", session_id=session_id))


@staff_bp.get("/sessions/<int:session_id>/attendance")
def attendance(session_id):
    ts = get_or_404(TrainingSession, session_id)
    return render("trainings/attendance.html", ts=ts, bookings=queries.attendance_list(ts.id), form=EmptyForm())


@staff_bp.post("/bookings/<int:booking_id>/attendance")
def mark(booking_id):
    booking = get_or_404(Booking, booking_id)
    present = request.form.get("present") == "1"
    if EmptyForm().validate_on_submit():
        try:
            services.mark_attendance(current_user, booking, present)
        except DomainError as e:
            db.session.rollback()
            flash(str(e.message), "error")
    if request.htmx:  # one small answer per tap: the person's row
        db.session.refresh(booking)
        return render("trainings/attendance.html", "row", b=booking, form=EmptyForm())
    return redirect_to(url_for("trainings_staff.attendance", session_id=booking.session_id))
