from flask import abort, flash, request, url_for
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.accounts import services as accounts
from portal.accounts.models import CalendarFeed, User
from portal.accounts.roles import Power, can
from portal.clock import utcnow
from portal.catalogue import around_now, part_of
from portal.extensions import db
from portal.organisations.models import Organisation, OrgState
from portal.organisations.access import can_manage
from portal.organisations.services import active_members, members_to_act_for, memberships_for
from portal import calendar
from portal.trainings import bp, queries, services, staff_bp
from portal.trainings.forms import (
    AcceptOutreachForm, BookMembersForm, CatalogueFilterForm, CourseForm, DeclineOutreachForm, OutreachForm,
    SessionEditForm, SessionForm, WalkInForm,
)
from portal.trainings.materials.queries import for_course as materials_for_course
from portal.trainings.models import (
    DELIVERY_LANGUAGES, Booking, Course, OutreachRequest, OutreachState, TrainingSession, WaitlistEntry, WaitState,
)
from portal.web import (
    act, ask_first, attachment, attempt, block_or_redirect, filters_from, get_or_404, id_from, paginate, redirect_to, render, render_form, require,
)
from portal.web.forms import EmptyForm


@bp.get("/")
def catalogue():
    services.apply_expired_offers()
    filters, used = filters_from(CatalogueFilterForm, _her_language_first)
    query = queries.catalogue(current_user, programme=used.programme.data or "",
                              language=used.language.data or "", seats=bool(used.seats.data),
                              q=used.q.data or "", day=used.day.data)
    page = paginate(query, per_page=20)
    ids = [ts.id for ts in page.items]
    return render("trainings/catalogue.html", "results", filters=filters, sections=queries.grouped(page.items),
                  page=page, waiting=queries.waiting_counts(ids), mine=queries.holdings(current_user, ids),
                  titles=queries.titles([ts.course_id for ts in page.items], str(get_locale())),
                  languages_of=queries.course_languages([ts.course_id for ts in page.items]))


# The workers' languages: a Filipino or Indonesian reader sees the trainings in her language first (the filter
# says so and she can choose "All languages"); English readers, and the staff who run trainings, see all.
HER_LANGUAGES = ("fil", "id")


def _her_language_first(form):
    """The language filter's default is her language, until she chooses one (the address then says which,
    "All languages" too). As a default it is not counted as a filter in use."""
    lang = str(get_locale())
    if lang in HER_LANGUAGES and not can(current_user, Power.RUN_TRAININGS):
        form.language.default = lang
        if "language" not in request.args:
            form.language.data = lang


def _session_or_404(session_id) -> TrainingSession:
    """Outreach sessions are for their organisation's members (and staff): others get 404."""
    ts = get_or_404(TrainingSession, session_id)
    if not services.can_see_session(current_user, ts):
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
    if current_user.is_authenticated:
        booking = db.session.scalar(select(Booking).where(Booking.session_id == ts.id,
                                                          Booking.user_id == current_user.id))
        entry = db.session.scalar(select(WaitlistEntry).where(WaitlistEntry.session_id == ts.id,
                                                              WaitlistEntry.user_id == current_user.id))
    lead, members = members_to_act_for(current_user)
    return dict(ts=ts, booking=booking, entry=entry, materials=materials_for_course(ts.course_id),
                position=services.position(entry) if entry and entry.state == WaitState.WAITING else None,
                waiting=queries.waiting_counts([ts.id]).get(ts.id, 0),
                lead=lead, members=members, form=EmptyForm())


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
    managed = [m for m in memberships_for(current_user) if m.is_manager]
    asked_id = id_from(request.form.get("organisation_id"))
    asked = db.session.get(Organisation, asked_id) if asked_id else None
    # Only a leader or co-leader books others, and only her organisation's members: anyone else is refused.
    require(bool(managed) and (asked is None or can_manage(current_user, asked)))
    form = BookMembersForm()
    form.organisation_id.choices = [(m.organisation_id, m.organisation.name) for m in managed]
    if not form.validate_on_submit():
        flash(_("Choose your organisation and at least one member."), "error")
        return redirect_to(url_for("trainings.show", session_id=session_id))
    org = db.session.get(Organisation, form.organisation_id.data)
    chosen = {int(v) for v in request.form.getlist("member") if v.isdigit()}
    allowed = {m.user_id for m in active_members(org.id)}
    people = [db.session.get(User, i) for i in sorted(chosen & allowed)]
    if not people:
        flash(_("Choose at least one member."), "error")
        return redirect_to(url_for("trainings.show", session_id=session_id))
    result = services.book_many(current_user, ts, people, org)
    if result["booked"]:
        flash(_("Booked: %(names)s.", names=", ".join(p.name for p in result["booked"])), "success")
    if result["waiting"]:
        in_line = [_("%(name)s (number %(n)s)", name=p.name, n=n) for p, n in result["waiting"]]
        flash(_("Full, so on the waiting list: %(names)s.", names=", ".join(in_line)),
              "info")
    for person, message in result["refused"]:
        flash(_("Not booked: %(name)s. %(reason)s", name=person.name, reason=message), "error")
    return redirect_to(url_for("trainings.show", session_id=session_id))


@bp.route("/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(booking_id):
    """GET: asked once ("Cancel your place on Sunday 6 December?"); POST: done."""
    booking = get_or_404(Booking, booking_id)
    require(services.can_act_on(current_user, booking.user_id, booking.organisation_id))
    back = url_for("trainings.show", session_id=booking.session_id)
    if request.method == "GET":
        if not booking.can_cancel:
            return redirect_to(back)
        ts = booking.session
        day, released = format_datetime(ts.starts_at, "weekday_day"), ts.deadline_passed
        place = ts.venue or _("At your organisation's meeting place")
        return render("confirm.html", form=EmptyForm(), action=url_for("trainings.cancel", booking_id=booking.id),
                      back=back, no=_("No, keep my place"),
                      question=_("Give back your place on %(day)s?", day=day) if released
                      else _("Cancel your place on %(day)s?", day=day),
                      detail=f"{ts.course.title} · {format_datetime(ts.starts_at, 'time')} · {place}",
                      yes=_("Yes, my day off was cancelled") if released else _("Yes, cancel my place"))
    if EmptyForm().validate_on_submit():
        act(services.cancel_booking, current_user, booking,
             done=_("The place is released. Thank you for telling us."))
    return redirect_to(url_for("trainings.show", session_id=booking.session_id))


@bp.post("/bookings/<int:booking_id>/undo")
@login_required
def undo_cancel(booking_id):
    """She changed her mind within minutes of giving the place back: hers again if nobody has it."""
    booking = get_or_404(Booking, booking_id)
    require(services.can_act_on(current_user, booking.user_id, booking.organisation_id))
    if EmptyForm().validate_on_submit():
        act(services.undo_cancel, current_user, booking, done=_("The place is yours again. See you there!"))
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
    coming, done, cancelled = queries.my_bookings_by_kind(current_user)
    managed = [m for m in memberships_for(current_user) if m.is_manager]
    org_ids = [m.organisation_id for m in managed]
    return render("trainings/mine.html", coming=coming, done=done, cancelled=cancelled,
                  waiting=queries.my_waiting(current_user),
                  org_bookings={oid: queries.org_bookings(oid) for oid in org_ids[:5]},
                  org_waiting={oid: queries.org_waiting(oid) for oid in org_ids[:5]},
                  orgs={oid: db.session.get(Organisation, oid) for oid in org_ids[:5]}, form=EmptyForm(),
                  feed=db.session.get(CalendarFeed, current_user.id),
                  outreach=any(m.organisation.state == OrgState.APPROVED for m in managed))


# --- calendar ---

@bp.get("/bookings/<int:booking_id>/calendar.ics")
@login_required
def booking_ics(booking_id):
    booking = get_or_404(Booking, booking_id)
    require(services.can_act_on(current_user, booking.user_id, booking.organisation_id))
    return attachment(calendar.booking_ics(booking, str(get_locale())), calendar.ICS,
                      f"training-{booking.session_id}.ics")


@bp.post("/calendar")
@login_required
def calendar_address():
    if EmptyForm().validate_on_submit():
        renew = request.form.get("renew") == "1"
        accounts.calendar_feed(current_user, renew=renew)
        flash(_("Your new calendar address is ready. The old one no longer works.") if renew
              else _("Your calendar address is ready. Add it to the calendar on your phone."), "success")
    return redirect_to(url_for("trainings.mine") + "#calendar")


@bp.post("/calendar/stop")
@login_required
def calendar_stop():
    if EmptyForm().validate_on_submit():
        accounts.stop_calendar_feed(current_user)
        flash(_("Your calendar address no longer works."), "success")
    return redirect_to(url_for("trainings.mine") + "#calendar")


@bp.get("/calendar/<token>.ics")
def feed(token):
    """The private feed: the token is the key, so no sign-in (calendar apps cannot sign in)."""
    owner = accounts.feed_owner(token)
    if owner is None:
        abort(404)
    return attachment(calendar.feed_ics(owner, owner.locale or "en"), calendar.ICS, "trainings.ics")


# --- outreach: a training at the organisation's Sunday spot ---

def _managed_orgs():
    return [m.organisation for m in memberships_for(current_user)
            if m.is_manager and m.organisation.state == OrgState.APPROVED]


@bp.get("/outreach")
@login_required
def outreach():
    orgs = _managed_orgs()
    require(bool(orgs))
    requests = db.session.scalars(select(OutreachRequest).where(
        OutreachRequest.organisation_id.in_([o.id for o in orgs]))
        .order_by(OutreachRequest.created_at.desc()).limit(50)).all()
    return render("trainings/outreach.html", requests=requests, form=EmptyForm())


@bp.route("/outreach/new", methods=["GET", "POST"])
@login_required
def request_outreach():
    orgs = _managed_orgs()
    require(bool(orgs))
    form = OutreachForm() if request.method == "POST" else OutreachForm(language=_language_of(orgs[0]))
    form.organisation_id.choices = [(o.id, o.name) for o in orgs]
    error = None
    if form.validate_on_submit():
        org = next(o for o in orgs if o.id == form.organisation_id.data)
        result, error = attempt(services.request_outreach, current_user, org, form.programme.data, form.language.data,
                                form.expected.data, [form.sunday_1.data, form.sunday_2.data, form.sunday_3.data],
                                form.note.data or "")
        if error is None:
            flash(_("Your request was sent to the Mission. We will answer through the portal."), "success")
            return redirect_to(url_for("trainings.outreach"))
    return render_form("trainings/outreach_form.html", form=form, error=error)


def _language_of(org) -> str:
    """The language a training for this organisation is most likely asked in: the first of its languages that
    the Mission gives trainings in, else its community's, else the leader's own."""
    by_community = {"filipino": "fil", "indonesian": "id"}
    given = [code for code in org.language_list if code in DELIVERY_LANGUAGES]
    return given[0] if given else by_community.get(org.community) or (
        current_user.locale if current_user.locale in DELIVERY_LANGUAGES else "en")


@bp.post("/outreach/<int:request_id>/withdraw")
@login_required
def withdraw_outreach(request_id):
    req = get_or_404(OutreachRequest, request_id)
    require(can_manage(current_user, req.organisation))
    if EmptyForm().validate_on_submit():
        act(services.withdraw_outreach, current_user, req, done=_("Your request was withdrawn."))
    return redirect_to(url_for("trainings.outreach"))


# --- staff ---

@staff_bp.before_request
@login_required
def staff_only():
    require(services.is_staff(current_user))


@staff_bp.get("/")
def sessions():
    now = utcnow()
    page = paginate(select(TrainingSession).order_by(*around_now(TrainingSession, now)))
    return render("trainings/staff_sessions.html", page=page, parts=[part_of(ts.starts_at, now) for ts in page.items])


@staff_bp.get("/courses")
def courses():
    page = paginate(select(Course).order_by(Course.id.desc()))
    return render("trainings/staff_courses.html", page=page)


def _course_choices(form, course=None):
    form.prerequisites.choices = [(c.id, c.title) for c in db.session.scalars(select(Course).order_by(Course.id))
                                  if course is None or c.id != course.id]


@staff_bp.route("/courses/new", methods=["GET", "POST"])
def new_course():
    form = CourseForm()
    _course_choices(form)
    error = None
    if form.validate_on_submit():
        course, error = attempt(services.create_course, current_user, form.programme.data, form.language.data,
                                form.texts(), _chosen_courses(form))
        if error is None:
            flash(_("The course was created. Now add a session."), "success")
            return redirect_to(url_for("trainings_staff.new_session", course=course.id))
    return render_form("trainings/course_form.html", form=form, error=error)


@staff_bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
def edit_course(course_id):
    course = get_or_404(Course, course_id)
    form = CourseForm() if request.method == "POST" else CourseForm.of(course)
    _course_choices(form, course)
    error = None
    if form.validate_on_submit():
        result, error = attempt(services.update_course, current_user, course, form.programme.data, form.language.data,
                                form.texts(), _chosen_courses(form))
        if error is None:
            flash(_("The course was changed."), "success")
            return redirect_to(url_for("trainings_staff.courses"))
    return render_form("trainings/course_form.html", form=form, error=error, course=course)


def _chosen_courses(form) -> list[Course]:
    return [c for c in (db.session.get(Course, i) for i in form.prerequisites.data or []) if c is not None]


@staff_bp.route("/sessions/new", methods=["GET", "POST"])
def new_session():
    form = SessionForm(course_id=request.args.get("course", type=int))
    form.course_id.choices = [(c.id, c.title) for c in db.session.scalars(select(Course).order_by(Course.id.desc()))]
    error = None
    if form.validate_on_submit():
        starts, ends, deadline = form.times()
        error = _closed_already(form, deadline)
        ts, error = (None, error) if error else attempt(services.create_session, current_user, db.session.get(Course, form.course_id.data), starts,
                            ends, form.capacity.data, deadline=deadline, venue=form.venue.data,
                            per_org_cap=form.per_org_cap.data)
        if error is None:
            flash(_("The session was created."), "success")
            return redirect_to(url_for("trainings.show", session_id=ts.id))
    return render_form("trainings/session_form.html", form=form, error=error)


def _closed_already(form, deadline):
    """Why a session is not saved yet: its booking would be closed before anyone could book (a date soon, or
    many days before). Saved anyway once staff tick that they mean it (a session people join at the door)."""
    if deadline >= utcnow() or form.closed_ok.data:
        return None
    form.closed_ok.flags.shown = True
    return _("Booking would already be closed: it closes %(moment)s, %(days)s days before the start. No one "
             "could book this session. Choose fewer days, or tick the box to save it anyway.",
             moment=format_datetime(deadline, "day_time"), days=form.deadline_days.data)


@staff_bp.post("/sessions/<int:session_id>/cancel")
def cancel_session(session_id):
    ts = get_or_404(TrainingSession, session_id)
    if EmptyForm().validate_on_submit():
        asked = ask_first(_("Cancel this session and tell everyone booked or waiting?"), _("Yes, cancel the session"),
                          url_for("trainings.show", session_id=session_id),
                          f"{ts.course.title} · {format_datetime(ts.starts_at, 'weekday_day_time')} · "
                          + ngettext("%(num)d booked", "%(num)d booked", ts.taken))
        if asked:
            return asked
        act(services.cancel_session, current_user, ts, done=_("The session was cancelled and everyone was told."))
    return redirect_to(url_for("trainings.show", session_id=session_id))


@staff_bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
def edit_session(session_id):
    ts = get_or_404(TrainingSession, session_id)
    form = SessionEditForm() if request.method == "POST" else SessionEditForm.of(ts)
    error = None
    if form.validate_on_submit():
        starts, ends, deadline = form.times()
        error = None if ts.deadline_passed else _closed_already(form, deadline)  # a change that closes booking
        told, error = (0, error) if error else attempt(services.update_session, current_user, ts, starts, ends, form.capacity.data, deadline,
                              venue=form.venue.data, per_org_cap=form.per_org_cap.data)
        if error is None:
            flash(ngettext("The session was changed; %(num)d person was told.",
                           "The session was changed; %(num)d people were told.", told), "success")
            return redirect_to(url_for("trainings.show", session_id=session_id))
    return render_form("trainings/session_form.html", form=form, error=error, ts=ts)


@staff_bp.get("/sessions/<int:session_id>/attendance")
def attendance(session_id):
    ts = get_or_404(TrainingSession, session_id)
    return render("trainings/attendance.html", ts=ts, bookings=queries.attendance_list(ts.id), form=EmptyForm(),
                  walk_in=WalkInForm())


@staff_bp.post("/sessions/<int:session_id>/walk-in")
def walk_in(session_id):
    ts = get_or_404(TrainingSession, session_id)
    form = WalkInForm()
    if form.validate_on_submit():
        person = accounts.find_by_login(form.identifier.data)
        if person is None:
            form.identifier.errors.append(_("Nobody is registered with this number or e-mail. "
                                            "Ask the person to register first."))
        else:
            result, error = attempt(services.add_walk_in, current_user, ts, person)
            if error is None:
                flash(_("%(name)s was added as present.", name=person.name), "success")
                if result[1]:
                    flash(_("This is one more than the places of the session."), "info")
                return redirect_to(url_for("trainings_staff.attendance", session_id=session_id))
            form.identifier.errors.append(str(error))
    return render("trainings/attendance.html", "walk_in", status=422, ts=ts,
                  bookings=queries.attendance_list(ts.id), form=EmptyForm(), walk_in=form)


@staff_bp.post("/bookings/<int:booking_id>/attendance")
def mark(booking_id):
    booking = get_or_404(Booking, booking_id)
    present = request.form.get("present") == "1"
    if EmptyForm().validate_on_submit():
        result, error = attempt(services.mark_attendance, current_user, booking, present)
        if error is not None:
            flash(str(error), "error")
    return block_or_redirect(url_for("trainings_staff.attendance", session_id=booking.session_id),
                             "trainings/attendance.html", "row", lambda: _attendance_row(booking))


def _attendance_row(booking):
    """One small answer per tap: the person's row, with what happened."""
    db.session.refresh(booking)
    return dict(b=booking, form=EmptyForm())


@staff_bp.get("/outreach")
def outreach_requests():
    state = request.args.get("state", OutreachState.PENDING)
    if state not in set(OutreachState):
        state = OutreachState.PENDING
    page = paginate(select(OutreachRequest).where(OutreachRequest.state == state)
                    .order_by(OutreachRequest.sunday_1, OutreachRequest.id))
    return render("trainings/staff_outreach.html", page=page, state=state)


def _outreach_forms(req, accept=None, decline=None):
    accept = accept or AcceptOutreachForm(formdata=None, date=req.sunday_1, capacity=req.expected)
    accept.course_id.choices = [(c.id, c.title) for c in db.session.scalars(
        select(Course).order_by((Course.programme == req.programme).desc(), Course.id.desc()))]
    return dict(req=req, accept=accept, decline=decline or DeclineOutreachForm(formdata=None))


@staff_bp.get("/outreach/<int:request_id>")
def outreach_request(request_id):
    req = get_or_404(OutreachRequest, request_id)
    return render("trainings/staff_outreach_request.html", **_outreach_forms(req))


@staff_bp.post("/outreach/<int:request_id>/accept")
def accept_outreach(request_id):
    req = get_or_404(OutreachRequest, request_id)
    context = _outreach_forms(req, accept=AcceptOutreachForm())
    form = context["accept"]
    if not form.validate_on_submit():
        return render("trainings/staff_outreach_request.html", "accept_form", status=422, **context)
    starts, ends = form.when()
    if act(services.accept_outreach, current_user, req, db.session.get(Course, form.course_id.data), starts, ends,
           form.capacity.data, form.venue.data,
           done=_("The session was created for this organisation and the leader was told.")):
        return redirect_to(url_for("trainings.show", session_id=req.session_id))
    return redirect_to(url_for("trainings_staff.outreach_request", request_id=request_id))


@staff_bp.post("/outreach/<int:request_id>/decline")
def decline_outreach(request_id):
    req = get_or_404(OutreachRequest, request_id)
    context = _outreach_forms(req, decline=DeclineOutreachForm())
    form = context["decline"]
    if not form.validate_on_submit():
        return render("trainings/staff_outreach_request.html", "decline_form", status=422, **context)
    act(services.decline_outreach, current_user, req, form.reason.data, form.note.data or "",
        done=_("The request was declined and the leader was told."))
    return redirect_to(url_for("trainings_staff.outreach_request", request_id=request_id))
