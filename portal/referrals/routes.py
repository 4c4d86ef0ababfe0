"""Referrals over HTTP: the leader's form in steps and her status-only view (/referrals/), the Mission's
queue and case page (/staff/referrals/). Every page of a case is titled "Notes", never stored by the browser
(no-store) nor by htmx's history, and addressed by the referral's random reference."""
from __future__ import annotations

import json
import re
import secrets

from flask import abort, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.accounts.models import User
from portal.extensions import db
from portal.organisations.models import Membership, MemberState, Organisation
from portal.organisations.services import memberships_for
from portal import throttle
from portal.referrals import access_requests as requests_
from portal.referrals import bp, check_bp, forms, services, staff_bp
from portal.referrals.models import REF_ALPHABET, REF_LENGTH, AccessRequest, KeyDate, Question, Referral, ReferralState
from portal.web import act, attempt, get_or_404, paginate, redirect_to, render, render_form, require
from portal.web.forms import EmptyForm

STEPS = [  # (the form, its title): the leader's form, one question group per step
    (forms.WhatForm, _l("What happened")),
    (forms.DatesForm, _l("Dates")),
    (forms.WorkerForm, _l("The worker")),
    (forms.ContactForm, _l("Safe ways to reach her")),
    (forms.EmployerForm, _l("The employer")),
    (forms.ConsentForm, _l("Her agreement")),
]
_REF = re.compile(f"^[{REF_ALPHABET}]{{{REF_LENGTH}}}$")


def _referral(ref: str, model=Referral):
    """The referral (or question) of this reference, or 404. The format check only spares the database a query
    for an address that cannot be a reference: without it the lookup finds nothing and answers 404 the same
    (scripts/route_checks.py reports it as its one equivalent mutant)."""
    if not _REF.match(ref):
        abort(404)
    r = db.session.scalar(select(model).where(model.ref == ref))
    if r is None:
        abort(404)
    return r


def _private(response):
    """A page of a case: never kept by the browser or a proxy."""
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the referring side ---

@bp.before_request
@login_required
def signed_in():
    pass


def _referring_orgs() -> list[Organisation]:
    return [m.organisation for m in memberships_for(current_user) if services.can_refer(current_user, m.organisation)]


@bp.get("/")
def index():
    return _private(render("referrals/index.html", orgs=_referring_orgs(),
                           referrals=db.session.scalars(services.followed(current_user)).all(),
                           questions=db.session.scalars(services.questions_of(current_user).limit(50)).all()))


@bp.route("/ask/<int:org_id>", methods=["GET", "POST"])
def ask(org_id):
    """A question without names, before (or without) her consent."""
    org = get_or_404(Organisation, org_id)
    require(services.can_refer(current_user, org))
    form = forms.AskForm()
    error = None
    if form.validate_on_submit():
        q, error = attempt(services.ask, current_user, org, form.category.data, form.urgency.data, form.text.data)
        if error is None:
            flash(_("Your question was sent. The answer will be here."), "success")
            return redirect_to(url_for("referrals.question", ref=q.ref))
    return _private(render_form("referrals/ask.html", form=form, org=org, error=error))


@bp.get("/questions/<ref>")
def question(ref):
    q = _referral(ref, Question)
    require(services.can_manage(current_user, q.organisation))
    return _private(render("referrals/question.html", q=services.read_question(current_user, q), form=None))


@bp.route("/new/<int:org_id>", methods=["GET", "POST"])
def start(org_id):
    org = get_or_404(Organisation, org_id)
    require(services.can_refer(current_user, org))
    form = forms.StartForm()
    members = db.session.scalars(select(Membership).where(
        Membership.organisation_id == org.id, Membership.state == MemberState.ACTIVE)
        .options(joinedload(Membership.user)).order_by(Membership.id)).all()
    form.worker.choices = [(forms.NO_ACCOUNT, _("Someone without an account on the portal"))] + [
        (str(m.user_id), m.user.name) for m in members]
    error = None
    if form.validate_on_submit():
        member = int(form.worker.data) if (form.worker.data or "").isdigit() else None
        r, error = attempt(services.start, current_user, org, form.key.data, member)
        if error is None:
            return redirect_to(url_for("referrals.step", ref=r.ref, n=1))
    elif not form.is_submitted():
        form.key.data = secrets.token_urlsafe(18)
    status = 422 if form.is_submitted() else 200
    return _private(render("referrals/start.html", "form", status=status, form=form, org=org, error=error))


def _filled(n: int, r: Referral):
    """Step n's form, as sent, or filled from the draft."""
    form_class = STEPS[n - 1][0]
    if request.method == "POST":
        return form_class()
    data = {
        1: lambda: {"categories": r.category_list, "urgency": r.urgency, "story": r.story},
        2: lambda: {"termination_date": r.termination_date,
                    "appointment_kind": r.dates[0].kind if r.dates else "",
                    "appointment_day": r.dates[0].day if r.dates else None},
        3: lambda: dict(r.worker or {}),
        4: lambda: dict(r.contact or {"no_employer": True}),
        5: lambda: dict(r.employer or {}),
        6: lambda: {},
    }[n]()
    return form_class(data=data)


def _save(n: int, r: Referral, form):
    d = form.data
    return {
        1: lambda: services.save_what(current_user, r, d["categories"] or [], d["urgency"] or "normal",
                                      d["story"] or "", step=2),
        2: lambda: services.save_dates(current_user, r, d["termination_date"], None, step=3,
                                       appointment=(d["appointment_kind"], d["appointment_day"])
                                       if d["appointment_kind"] else None),
        3: lambda: services.save_worker(current_user, r, d["name"] or "", d["phone"] or None, d["email"] or None,
                                        d["language"], d["interpreter"], step=4),
        4: lambda: services.save_contact(current_user, r, d["channels"] or [], d["days"] or [], d["hours"] or "",
                                         d["message_only"], d["no_employer"], step=5),
        5: lambda: services.save_employer(current_user, r, d["name"] or "", d["phone"] or "", d["address"] or "",
                                          d["agency"] or "", step=6),
        6: lambda: services.record_consent(current_user, r, d["how"], d["given_on"]),
    }[n]


@bp.route("/<ref>/step/<int:n>", methods=["GET", "POST"])
def step(ref, n):
    r = _referral(ref)
    require(services.can_follow(current_user, r))
    if not 1 <= n <= len(STEPS):
        abort(404)
    if r.state != ReferralState.DRAFT:
        return redirect_to(url_for("referrals.show", ref=r.ref))
    form = _filled(n, r)
    going = request.form.get("go", "next")
    consented = services.has_consent(r)
    error = None
    if n == len(STEPS) and consented:  # recorded once: the last step only leads on
        form = EmptyForm()
    if form.validate_on_submit():
        if not isinstance(form, EmptyForm):
            _saved, error = attempt(_save(n, r, form))
        if error is None:
            if going == "back":
                return redirect_to(url_for("referrals.step", ref=r.ref, n=max(n - 1, 1)))
            if going == "later":
                flash(_("Saved. You can finish it later from Mutual Care and Support."), "success")
                return redirect_to(url_for("referrals.index"))
            return redirect_to(url_for("referrals.step", ref=r.ref, n=n + 1) if n < len(STEPS)
                               else url_for("referrals.show", ref=r.ref))
    status = 422 if request.method == "POST" else 200
    services.read_draft(current_user, r)  # her answers are on the page
    return _private(render("referrals/step.html", "form", status=status, r=r, form=form, n=n, steps=STEPS,
                           title=STEPS[n - 1][1], consented=consented, error=error))


@bp.get("/<ref>")
def show(ref):
    """A draft: what will be sent, what is missing, and Send. Sent: the status-only view."""
    r = _referral(ref)
    require(services.can_follow(current_user, r))
    if r.state == ReferralState.DRAFT:
        services.read_draft(current_user, r)
        return _private(render("referrals/status.html", r=r, missing=services.missing(r), steps=STEPS,
                               consented=services.has_consent(r)))
    services.read_status(current_user, r)
    return _private(render("referrals/status.html", r=r, notes=services.shared_notes(r),
                           leave_by=services.leave_by(r.termination_date, r.stay_extended_until),
                           days_left=services.days_left))


def _leader_button(ref: str, service, done: str):
    """A button of the leader's page of a referral: the service, its message, back to the page."""
    r = _referral(ref)
    require(services.can_follow(current_user, r))
    if EmptyForm().validate_on_submit():
        act(service, current_user, r, done=done)
    return redirect_to(url_for("referrals.show", ref=r.ref))


@bp.post("/<ref>/submit")
def submit(ref):
    return _leader_button(ref, services.submit, _("Sent to the Mission. You will see here what happens next."))


def _confirmed() -> bool:
    """The confirming box was ticked with the button (and the form is ours); else she is told, nothing changes."""
    form = forms.ConfirmForm()
    if not form.validate_on_submit():
        return False
    if not form.confirm.data:
        flash(str(forms.NOT_CONFIRMED), "error")
        return False
    return True


@bp.post("/<ref>/discard")
def discard(ref):
    r = _referral(ref)
    require(services.can_follow(current_user, r))
    if _confirmed() and act(services.discard, current_user, r,
                            done=_("The draft was deleted. Nothing of it is kept.")):
        return redirect_to(url_for("referrals.index"))
    return redirect_to(url_for("referrals.show", ref=r.ref))


@bp.post("/<ref>/code")
def resend_code(ref):
    return _leader_button(ref, services.resend_code, _("A new code was sent to her. The old one no longer works."))


@bp.post("/<ref>/withdraw")
def withdraw(ref):
    r = _referral(ref)
    require(services.can_follow(current_user, r))
    if _confirmed():
        act(services.withdraw_consent, current_user, r,
            done=_("Her agreement was withdrawn. Nothing more is shared, and what she told is deleted."))
    return redirect_to(url_for("referrals.show", ref=r.ref))


# --- the Mission's side ---

@staff_bp.before_request
@login_required
def queue_only():
    require(services.can_see_queue(current_user))


QUEUE_VIEWS = {
    "open": sorted(services.OPEN_STATES),
    "declined": [ReferralState.DECLINED],
    "closed": [ReferralState.CLOSED],
}


@staff_bp.get("/")
def queue():
    view = request.args.get("view", "open")
    if view not in QUEUE_VIEWS:
        view = "open"
    page = paginate(services.queue_lines(QUEUE_VIEWS[view]))
    return _private(render("referrals/queue.html", page=page, view=view, is_near=services.is_near,
                           can_work_on=lambda r: services.can_work(current_user, r)))


def _case(r: Referral, status: int = 200, **forms_sent):
    """The case page (its read audited), with the forms the viewer may use: those sent back with their
    errors, the others empty."""
    services.read_case(current_user, r)
    assign = forms_sent.get("assign") or forms.AssignForm()
    if services.may(current_user, r, "assign"):  # the Mission's caseworkers are read only for who may choose
        assign.caseworker.choices = [(u.id, u.name) for u in services.caseworkers()]
    page = dict(
        triage=forms_sent.get("triage") or forms.TriageForm(data={"programme": r.programme, "urgency": r.urgency}),
        decline=forms_sent.get("decline") or forms.DeclineForm(), assign=assign,
        note=forms_sent.get("note") or forms.NoteForm(),
        stay=forms_sent.get("stay") or forms.StayForm(data={"termination_date": r.termination_date,
                                                             "stay_extended_until": r.stay_extended_until}),
        key_date=forms_sent.get("key_date") or forms.KeyDateForm(), close=forms_sent.get("close") or forms.CloseForm(),
        empty=EmptyForm())
    return _private(render("referrals/case.html", status=status, r=r, may=services.may, channels=forms.CHANNELS,
                           days=forms.DAYS, trail=services.trail(current_user, r),
                           leave_by=services.leave_by(r.termination_date, r.stay_extended_until),
                           days_left=services.days_left, is_near=services.is_near, **page))


def _worked(ref: str) -> Referral:
    r = _referral(ref)
    require(services.can_work(current_user, r) and r.state != ReferralState.DRAFT)
    return r


@staff_bp.get("/<ref>")
def case(ref):
    return _case(_worked(ref))


def _case_action(ref, form_name, form_class, service, done, args, decide=False):
    """One form of the case page: done (flash, back to the page), or the page again with the form's errors.
    `decide`: a supervisor's decision (triage, accept, decline, assign)."""
    r = _worked(ref)
    require(not decide or services.can_decide(current_user))
    form = form_class()
    if form_name == "assign":
        form.caseworker.choices = [(u.id, u.name) for u in services.caseworkers()]
    if form.validate_on_submit():
        if act(service, current_user, r, *args(form), done=done):
            return redirect_to(url_for("referrals_staff.case", ref=r.ref))
        db.session.refresh(r)
    return _case(r, status=422, **{form_name: form})


@staff_bp.post("/<ref>/triage")
def triage(ref):
    return _case_action(ref, "triage", forms.TriageForm, services.triage, _("Triaged."),
                        lambda f: (f.programme.data, f.urgency.data), decide=True)


@staff_bp.post("/<ref>/accept")
def accept(ref):
    return _case_action(ref, "empty", EmptyForm, services.accept, _("Accepted. The leader was told."),
                        lambda f: (), decide=True)


@staff_bp.post("/<ref>/decline")
def decline(ref):
    return _case_action(ref, "decline", forms.DeclineForm, services.decline,
                        _("Declined. The leader was told the reason."), lambda f: (f.reason.data,), decide=True)


@staff_bp.post("/<ref>/assign")
def assign(ref):
    return _case_action(ref, "assign", forms.AssignForm, lambda u, r, cw_id: services.assign(
        u, r, db.session.get(User, cw_id)), _("Assigned. The caseworker was told."),
        lambda f: (f.caseworker.data,), decide=True)


@staff_bp.post("/<ref>/notes")
def note(ref):
    return _case_action(ref, "note", forms.NoteForm, services.add_note, _("The note was added."),
                        lambda f: (f.body.data, f.shared.data))


@staff_bp.post("/<ref>/stay")
def stay(ref):
    return _case_action(ref, "stay", forms.StayForm, services.set_stay, _("The dates were saved."),
                        lambda f: (f.termination_date.data, f.stay_extended_until.data))


@staff_bp.post("/<ref>/dates")
def add_date(ref):
    return _case_action(ref, "key_date", forms.KeyDateForm, services.add_date,
                        _("The date was added. You will be reminded the day before."),
                        lambda f: (f.kind.data, f.day.data))


@staff_bp.post("/<ref>/dates/<int:date_id>/remove")
def remove_date(ref, date_id):
    r = _worked(ref)
    key_date = get_or_404(KeyDate, date_id)
    if key_date.referral_id != r.id:
        abort(404)
    if EmptyForm().validate_on_submit():
        act(services.remove_date, current_user, r, key_date, done=_("The date was removed."))
    return redirect_to(url_for("referrals_staff.case", ref=r.ref))


def _partners():
    """The published services, by kind, to choose a partner from (a shelter with its free beds)."""
    from portal.directory.models import Service
    from portal.directory.services import listing
    services_ = db.session.scalars(listing().order_by(None).order_by(Service.kind, Service.organization, Service.name))
    return [(s.id, f"{s.kind_label}: {s.organization}, {s.name}"
             + (" " + _("(%(n)d beds free)", n=s.beds_free) if s.capacity is not None else "")) for s in services_]


@staff_bp.route("/<ref>/onward", methods=["GET", "POST"])
def refer_onward(ref):
    """Its own page: choosing among the directory's hundreds of services costs the case page nothing."""
    r = _worked(ref)
    form = forms.ReferOnwardForm()
    form.service.choices = _partners()
    error = None
    if form.validate_on_submit():
        _referred, error = attempt(services.refer_onward, current_user, r, form.service.data, form.how.data,
                                   form.given_on.data)
        if error is None:
            flash(_("Referred onward. Her consent to the partner is recorded."), "success")
            return redirect_to(url_for("referrals_staff.case", ref=r.ref))
        db.session.refresh(r)
    return _private(render_form("referrals/onward.html", form=form, r=r, error=error,
                                may=services.may(current_user, r, "refer_onward")))


@staff_bp.post("/<ref>/close")
def close(ref):
    return _case_action(ref, "close", forms.CloseForm, services.close, _("The case was closed."),
                        lambda f: (f.outcome.data,))


# --- the worker's own code ---

@check_bp.route("", methods=["GET", "POST"])
def page():
    """She types her code and sees where her case stands: no sign-in, nothing named in the title or address."""
    form = forms.CodeForm()
    r, error = None, None
    if form.validate_on_submit():
        r, error = attempt(services.by_code, form.code.data, throttle.address())
    if r is not None:
        return _private(render("referrals/check.html", form=form, r=r, withdraw=forms.WithdrawByCodeForm(
            data={"code": form.code.data})))
    return _private(render_form("referrals/check.html", form=form, r=None, error=error))


@check_bp.post("/withdraw")
def withdraw_by_code():
    form = forms.WithdrawByCodeForm()
    r, error = None, None
    if form.validate_on_submit() and not form.confirm.data:  # her case again, with why nothing changed
        r, error = attempt(services.by_code, form.code.data, throttle.address())
        if r is not None:
            flash(str(forms.NOT_CONFIRMED), "error")
            return _private(render("referrals/check.html", form=form, r=r, withdraw=form, status=422))
    elif form.validate_on_submit():
        r, error = attempt(services.withdraw_by_code, form.code.data, throttle.address())
    if r is not None:
        flash(_("Your agreement was withdrawn. Nothing more is shared, and what you told is deleted."), "success")
        return _private(render("referrals/check.html", form=forms.CodeForm(formdata=None), r=None, done=True))
    return _private(render_form("referrals/check.html", form=form, r=None, error=error))


@staff_bp.get("/questions")
def questions():
    require(services.can_answer(current_user))
    return _private(render("referrals/questions.html", page=paginate(services.open_questions())))


@staff_bp.route("/questions/<ref>", methods=["GET", "POST"])
def answer(ref):
    q = _referral(ref, Question)
    require(services.can_answer(current_user))
    form = forms.AnswerForm()
    error = None
    if form.validate_on_submit():
        _answered, error = attempt(services.answer, current_user, q, form.body.data)
        if error is None:
            flash(_("The answer was sent. The leader was told."), "success")
            return redirect_to(url_for("referrals_staff.questions"))
    services.read_question(current_user, q)
    return _private(render_form("referrals/question.html", q=q, form=form, error=error))


# --- requests for a worker's data ---

@staff_bp.route("/requests", methods=["GET", "POST"])
def access_requests():
    """Requests for a worker's data: record one (it is due in 40 days), answer one with a download."""
    require(services.can_decide(current_user))
    form = forms.AccessRequestForm()
    error = None
    if form.validate_on_submit():
        _recorded, error = attempt(requests_.record_request, current_user, form.received_on.data, form.name.data,
                                   form.phone.data or None, form.email.data or None)
        if error is None:
            flash(_("The request was recorded. Answer it before the day it is due."), "success")
            return redirect_to(url_for("referrals_staff.access_requests"))
    page = paginate(requests_.requests())
    return _private(render_form("referrals/requests.html", form=form, page=page, error=error, empty=EmptyForm()))


@staff_bp.post("/requests/<int:request_id>/answer")
def answer_access_request(request_id):
    """Everything held about her, as a JSON file to give her (each referral in it is audited as read)."""
    require(services.can_decide(current_user))
    req = get_or_404(AccessRequest, request_id)
    if not EmptyForm().validate_on_submit():
        flash(_("This form has expired. Please send it again."), "error")
        return redirect_to(url_for("referrals_staff.access_requests"))
    document = requests_.answer(current_user, req)
    response = make_response(json.dumps(document, ensure_ascii=False, indent=2))
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = f'attachment; filename="data-request-{req.id}.json"'
    return _private(response)
