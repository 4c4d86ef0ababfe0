"""Campaign pages: open shifts Sundays first, a campaign, a shift with her place in it, signing up (one or
several shifts, or members), giving back, the waiting list, her shifts; staff make and change campaigns
and shifts."""
from flask import abort, flash, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from portal import calendar
from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.campaigns import bp, queries, services, share_bp, staff_bp
from portal.campaigns.forms import (
    CampaignForm, EndorseForm, HoursForm, MediaForm, ShiftFilterForm, ShiftForm,
)
from portal.campaigns.models import SHIFT_ROLES, Campaign, Endorsement, Shift, ShiftWait, Signup
from portal.capacity import WaitState
from portal.catalogue import grouped
from portal.extensions import db
from portal.languages import LANGUAGES
from portal.notifications.forms import chosen, messages_form
from portal.notifications.services import save_choices
from portal.organisations.access import can_manage
from portal.organisations.models import Organisation
from portal.organisations.services import active_members, members_to_act_for, memberships_for
from portal.trainings.forms import WalkInForm
from portal.web import (
    act, ask_first, attachment, attempt, block_or_redirect, filters_from, get_or_404, id_from, is_safe_next, paginate,
    redirect_to, render, render_form, require,
)
from portal.web.forms import EmptyForm
from portal.web.templating import format_datetime_named


@bp.get("/")
def index():
    services.apply_expired_offers()
    locale = str(get_locale())
    campaigns = queries.campaign_choices(current_user, locale)

    def prepare(form):
        form.campaign.choices = [(0, _("All campaigns")), *campaigns]
    filters, used = filters_from(ShiftFilterForm, prepare)
    page = paginate(queries.catalogue(current_user, campaign_id=used.campaign.data or None, day=used.day.data,
                                      role=used.role.data or "", language=used.language.data or ""), per_page=20)
    ids = [s.id for s in page.items]
    return render("campaigns/index.html", "results", filters=filters, campaigns=campaigns,
                  sections=grouped(page.items), page=page, waiting=queries.waiting_counts(ids),
                  mine=queries.holdings(current_user, ids),
                  titles=queries.titles([s.campaign_id for s in page.items], locale), form=EmptyForm())


def _campaign_or_404(campaign_id) -> Campaign:
    campaign = get_or_404(Campaign, campaign_id)
    if not services.can_see_campaign(current_user, campaign):
        abort(404)
    return campaign


def _shift_or_404(shift_id) -> Shift:
    shift = get_or_404(Shift, shift_id)
    if not services.can_see_campaign(current_user, shift.campaign):
        abort(404)
    return shift


@bp.get("/<int:campaign_id>")
def campaign(campaign_id):
    return _campaign_page(_campaign_or_404(campaign_id))


def _campaign_page(campaign, status=200, media=None):
    shifts = queries.campaign_shifts(campaign.id)
    ids = [s.id for s in shifts]
    endorsements = queries.endorsements(campaign.id)
    by_org = {e.organisation_id: e for e in endorsements}
    mine = [m.organisation for m in memberships_for(current_user)
            if services.may_endorse(current_user, m.organisation)] if current_user.is_authenticated else []
    endorse = [(org, by_org.get(org.id), EndorseForm(formdata=None, show_name=by_org[org.id].show_name,
                                                     committed=by_org[org.id].committed) if org.id in by_org
                else EndorseForm(formdata=None)) for org in mine]
    if media is None and queries.holds_in_campaign(current_user, campaign.id):
        c = queries.media_consents(campaign.id, [current_user.id]).get(current_user.id)
        media = MediaForm(formdata=None, photos=c.photos, named=c.named, pseudonym=c.pseudonym) if c \
            else MediaForm(formdata=None)
    total, names = queries.coming(campaign.id)
    return render("campaigns/campaign.html", status=status, campaign=campaign, shifts=shifts,
                  endorsements=endorsements, waiting=queries.waiting_counts(ids),
                  mine=queries.holdings(current_user, ids), form=EmptyForm(), endorse=endorse, media=media,
                  coming=total, names=names,
                  short=url_for("share.short", code=campaign.code, _external=True) if campaign.public else None)


@bp.post("/<int:campaign_id>/endorse")
@login_required
def endorse(campaign_id):
    campaign = _campaign_or_404(campaign_id)
    org = db.session.get(Organisation, id_from(request.form.get("organisation_id")) or 0)
    require(org is not None and services.may_endorse(current_user, org))
    form = EndorseForm()
    if form.validate_on_submit():
        act(services.endorse, current_user, campaign, org, form.show_name.data, form.committed.data or 0,
            done=_("Thank you: %(org)s supports this campaign.", org=org.name))
    else:
        flash(_("Write a number from 0 to 10000."), "error")
    return redirect_to(url_for("campaigns.campaign", campaign_id=campaign_id))


@bp.post("/endorsements/<int:endorsement_id>/withdraw")
@login_required
def withdraw_endorsement(endorsement_id):
    e = get_or_404(Endorsement, endorsement_id)
    require(services.may_endorse(current_user, e.organisation) or services.is_staff(current_user))
    if EmptyForm().validate_on_submit():
        act(services.withdraw_endorsement, current_user, e, done=_("Your organisation no longer supports it."))
    return redirect_to(url_for("campaigns.campaign", campaign_id=e.campaign_id))


@bp.post("/<int:campaign_id>/media")
@login_required
def media(campaign_id):
    campaign = _campaign_or_404(campaign_id)
    require(queries.holds_in_campaign(current_user, campaign.id))
    form = MediaForm()
    if form.validate_on_submit():
        result, error = attempt(services.set_media_consent, current_user, campaign, form.photos.data,
                                form.named.data, form.pseudonym.data or "")
        if error is None:
            flash(_("Saved: this is what the campaign may show of you."), "success")
            return redirect_to(url_for("campaigns.campaign", campaign_id=campaign_id) + "#media")
        form.pseudonym.errors.append(str(error))
    return _campaign_page(campaign, status=422, media=form)


@share_bp.get("/c/<code>")
def short(code):
    """A public campaign's short link, to share: the campaign's page itself (with its preview for chat apps)."""
    campaign = db.session.scalar(select(Campaign).where(Campaign.code == code[:12]))
    if campaign is None or not campaign.public:
        abort(404)
    return _campaign_page(campaign)


@bp.get("/shifts/<int:shift_id>")
def shift(shift_id):
    shift = _shift_or_404(shift_id)
    if services.apply_expired_offers(shift.id):
        shift = db.session.get(Shift, shift_id)
    return render("campaigns/shift.html", **_shift_context(shift))


def _shift_context(shift):
    signup = entry = None
    if current_user.is_authenticated:
        signup = db.session.scalar(select(Signup).where(Signup.shift_id == shift.id,
                                                        Signup.user_id == current_user.id))
        entry = db.session.scalar(select(ShiftWait).where(ShiftWait.shift_id == shift.id,
                                                          ShiftWait.user_id == current_user.id))
    lead, members = members_to_act_for(current_user)
    return dict(shift=shift, signup=signup, entry=entry,
                position=services.position(entry) if entry and entry.state == WaitState.WAITING else None,
                waiting=queries.waiting_counts([shift.id]).get(shift.id, 0), lead=lead, members=members,
                can_lead=services.can_lead(current_user, shift), form=EmptyForm())


def _outcome_messages(outcomes, names: bool = False) -> None:
    """Each shift's or person's outcome, as a message in her language."""
    for o in outcomes:
        what = o.person.name if names else _("%(when)s at %(place)s",
                                             when=_format_when(o.shift), place=o.shift.place)
        if o.result == "signed_up":
            flash(_("Signed up: %(what)s.", what=what), "success")
        elif o.result == "waiting":
            flash(_("Full, so on the waiting list (number %(n)d): %(what)s.", n=o.position, what=what), "info")
        else:
            flash(_("Not signed up: %(what)s. %(reason)s", what=what, reason=o.reason), "error")


def _format_when(shift):
    return format_datetime_named(shift.starts_at, "day_time")


def _back(default: str) -> str:
    """Where the form came from (a page of ours), else `default`."""
    nxt = request.form.get("next", "")
    return nxt if is_safe_next(nxt) else default


@bp.post("/sign-up")
@login_required
def sign_up_many():
    """One or several shifts, chosen on the list or a campaign's page, in one go."""
    back = _back(url_for("campaigns.index"))
    if not EmptyForm().validate_on_submit():
        flash(_("This form has expired. Please send it again."), "error")
        return redirect_to(back)
    ids = sorted({i for i in (id_from(v) for v in request.form.getlist("shift")) if i})[:20]
    shifts = [s for s in (db.session.get(Shift, i) for i in ids)
              if s is not None and services.can_see_campaign(current_user, s.campaign)]
    if not shifts:
        flash(_("Choose at least one shift."), "error")
        return redirect_to(back)
    _outcome_messages(services.sign_up_many(current_user, shifts, current_user))
    return redirect_to(url_for("campaigns.mine"))


@bp.post("/shifts/<int:shift_id>/sign-up")
@login_required
def sign_up(shift_id):
    shift = _shift_or_404(shift_id)
    if EmptyForm().validate_on_submit():
        act(services.sign_up, current_user, shift, current_user, done=_("You are signed up. Thank you!"))
    return redirect_to(url_for("campaigns.shift", shift_id=shift_id))


@bp.post("/shifts/<int:shift_id>/waitlist")
@login_required
def join_waitlist(shift_id):
    shift = _shift_or_404(shift_id)
    if EmptyForm().validate_on_submit():
        act(services.join_waitlist, current_user, shift, current_user,
            done=_("You are on the waiting list. We will tell you when a place is free."))
    return redirect_to(url_for("campaigns.shift", shift_id=shift_id))


@bp.post("/shifts/<int:shift_id>/members")
@login_required
def sign_up_members(shift_id):
    shift = _shift_or_404(shift_id)
    org = db.session.get(Organisation, id_from(request.form.get("organisation_id")) or 0)
    # Only a leader or co-leader signs others up, and only her organisation's members.
    require(org is not None and can_manage(current_user, org))
    if not EmptyForm().validate_on_submit():
        flash(_("This form has expired. Please send it again."), "error")
        return redirect_to(url_for("campaigns.shift", shift_id=shift_id))
    chosen = {i for i in (id_from(v) for v in request.form.getlist("member")) if i}
    allowed = {m.user_id for m in active_members(org.id)}
    people = [db.session.get(User, i) for i in sorted(chosen & allowed)]
    if not people:
        flash(_("Choose at least one member."), "error")
    else:
        _outcome_messages(services.sign_up_members(current_user, shift, people, org), names=True)
    return redirect_to(url_for("campaigns.shift", shift_id=shift_id))


@bp.route("/signups/<int:signup_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(signup_id):
    """GET: asked once ("Give back your place on Sunday 6 December?"); POST: done."""
    signup = get_or_404(Signup, signup_id)
    require(services.can_act_on(current_user, signup.user_id, signup.organisation_id))
    back = url_for("campaigns.shift", shift_id=signup.shift_id)
    if request.method == "GET":
        if not signup.can_cancel:
            return redirect_to(back)
        shift, day = signup.shift, format_datetime_named(signup.shift.starts_at, "weekday_day")
        role = SHIFT_ROLES.get(shift.role, shift.role)
        return render("confirm.html", form=EmptyForm(), action=url_for("campaigns.cancel", signup_id=signup.id),
                      back=back, no=_("No, keep my place"), question=_("Give back your place on %(day)s?", day=day),
                      detail=f"{role} · {format_datetime_named(shift.starts_at, 'time')} · {shift.place}",
                      yes=_("Yes, my day off was cancelled") if shift.late else _("Yes, give my place back"))
    if EmptyForm().validate_on_submit():
        act(services.cancel_signup, current_user, signup,
            done=_("The place is given back. Thank you for telling us."))
    return redirect_to(_back(back))


@bp.post("/signups/<int:signup_id>/undo")
@login_required
def undo_cancel(signup_id):
    """She changed her mind within minutes of giving the place back: hers again if nobody has it."""
    signup = get_or_404(Signup, signup_id)
    require(services.can_act_on(current_user, signup.user_id, signup.organisation_id))
    if EmptyForm().validate_on_submit():
        act(services.undo_cancel, current_user, signup, done=_("The place is yours again. See you there!"))
    return redirect_to(url_for("campaigns.shift", shift_id=signup.shift_id))


@bp.post("/waitlist/<int:entry_id>/leave")
@login_required
def leave(entry_id):
    return _on_entry(entry_id, services.leave_waitlist, _("You left the waiting list."))


@bp.post("/waitlist/<int:entry_id>/accept")
@login_required
def accept(entry_id):
    return _on_entry(entry_id, services.accept_offer, _("You are signed up. Thank you!"))


def _on_entry(entry_id, action, done):
    entry = get_or_404(ShiftWait, entry_id)
    require(services.can_act_on(current_user, entry.user_id, entry.organisation_id))
    if EmptyForm().validate_on_submit():
        act(action, current_user, entry, done=done)
    return redirect_to(url_for("campaigns.shift", shift_id=entry.shift_id))


@bp.get("/mine")
@login_required
def mine():
    coming, rest = queries.my_signups(current_user)
    managed = [m.organisation for m in memberships_for(current_user) if m.is_manager][:5]
    return render("campaigns/mine.html", coming=coming, rest=rest, waiting=queries.my_waiting(current_user),
                  orgs=[(org, *queries.org_lines(org.id)) for org in managed],
                  led=queries.led_shifts(current_user.id),
                  channel=messages_form(current_user, ["campaigns"], asking=False), form=EmptyForm())


@bp.post("/mine/messages")
@login_required
def messages():
    """How she hears about her shifts (one of the choices on her account's "How your messages reach you")."""
    form = messages_form(current_user, ["campaigns"], asking=False, formdata=request.form)
    if form.validate_on_submit():
        save_choices(current_user, chosen(form, ["campaigns"]))
        flash(_("Saved: this is how we tell you about your shifts."), "success")
        return redirect_to(url_for("campaigns.mine"))
    coming, rest = queries.my_signups(current_user)
    return render("campaigns/mine.html", "channel_form", status=422, coming=coming, rest=rest,
                  waiting=queries.my_waiting(current_user), led=[], channel=form, form=EmptyForm())


# --- staff ---

@staff_bp.before_request
@login_required
def staff_only():
    require(services.is_staff(current_user))


@staff_bp.get("/")
def campaigns():
    page = paginate(select(Campaign).order_by(Campaign.starts_on.desc(), Campaign.id.desc()))
    return render("campaigns/staff_campaigns.html", page=page)


@staff_bp.route("/new", methods=["GET", "POST"])
def new_campaign():
    form = CampaignForm()
    error = None
    if form.validate_on_submit():
        campaign, error = attempt(services.create_campaign, current_user, form.texts(), form.starts_on.data,
                                  form.ends_on.data, form.public.data)
        if error is None:
            flash(_("The campaign was created. Now add its shifts."), "success")
            return redirect_to(url_for("campaigns_staff.new_shift", campaign_id=campaign.id))
    return render_form("campaigns/campaign_form.html", form=form, error=error, languages=LANGUAGES)


@staff_bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
def edit_campaign(campaign_id):
    campaign = get_or_404(Campaign, campaign_id)
    form = CampaignForm() if request.method == "POST" else CampaignForm.of(campaign)
    error = None
    if form.validate_on_submit():
        result, error = attempt(services.update_campaign, current_user, campaign, form.texts(), form.starts_on.data,
                                form.ends_on.data, form.public.data)
        if error is None:
            flash(_("The campaign was changed."), "success")
            return redirect_to(url_for("campaigns.campaign", campaign_id=campaign_id))
    return render_form("campaigns/campaign_form.html", form=form, error=error, campaign=campaign,
                       languages=LANGUAGES)


@staff_bp.post("/<int:campaign_id>/cancel")
def cancel_campaign(campaign_id):
    campaign = get_or_404(Campaign, campaign_id)
    if EmptyForm().validate_on_submit():
        asked = ask_first(_("Cancel this campaign and its shifts to come, and tell everyone signed up?"),
                          _("Yes, cancel the campaign"), url_for("campaigns.campaign", campaign_id=campaign_id),
                          campaign.title)
        if asked:
            return asked
        act(services.cancel_campaign, current_user, campaign,
            done=_("The campaign and its shifts to come were cancelled, and everyone signed up was told."))
    return redirect_to(url_for("campaigns.campaign", campaign_id=campaign_id))


def _lead(form):
    """The person the lead field names, or None; an unknown one is the field's error."""
    if not form.lead.data:
        return None, True
    person = accounts.find_by_login(form.lead.data)
    if person is None:
        form.lead.errors.append(_("Nobody is registered with this number or e-mail. Ask the person to register "
                                  "first."))
        return None, False
    return person, True


def _shift_fields(form, lead):
    starts, ends = form.when()
    return dict(activity=form.activity.data, role=form.role.data, language=form.language.data, place=form.place.data,
                starts_at=starts, ends_at=ends, capacity=form.capacity.data, map_url=form.map_url.data or "",
                bring_keys=form.bring.data or [], bring_note=form.bring_note.data or "", lead=lead)


@staff_bp.route("/<int:campaign_id>/shifts/new", methods=["GET", "POST"])
def new_shift(campaign_id):
    campaign = get_or_404(Campaign, campaign_id)
    form = ShiftForm()
    error = None
    if form.validate_on_submit():
        lead, found = _lead(form)
        if found:
            shift, error = attempt(services.create_shift, current_user, campaign, **_shift_fields(form, lead))
            if error is None:
                flash(_("The shift was added."), "success")
                return redirect_to(url_for("campaigns.campaign", campaign_id=campaign_id))
    return render_form("campaigns/shift_form.html", form=form, error=error, campaign=campaign)


@staff_bp.route("/shifts/<int:shift_id>/edit", methods=["GET", "POST"])
def edit_shift(shift_id):
    shift = get_or_404(Shift, shift_id)
    form = ShiftForm() if request.method == "POST" else ShiftForm.of(shift)
    error = None
    if form.validate_on_submit():
        lead, found = _lead(form)
        if found:
            told, error = attempt(services.update_shift, current_user, shift, **_shift_fields(form, lead))
            if error is None:
                flash(ngettext("The shift was changed; %(num)d person was told.",
                               "The shift was changed; %(num)d people were told.", told), "success")
                return redirect_to(url_for("campaigns.shift", shift_id=shift_id))
    return render_form("campaigns/shift_form.html", form=form, error=error, campaign=shift.campaign, shift=shift)


@staff_bp.post("/shifts/<int:shift_id>/cancel")
def cancel_shift(shift_id):
    shift = get_or_404(Shift, shift_id)
    if EmptyForm().validate_on_submit():
        asked = ask_first(_("Cancel this shift and tell everyone signed up?"), _("Yes, cancel the shift"),
                          url_for("campaigns.shift", shift_id=shift_id),
                          f"{format_datetime_named(shift.starts_at, 'weekday_day_time')} · {shift.place} · "
                          + ngettext("%(num)d signed up", "%(num)d signed up", shift.taken))
        if asked:
            return asked
        act(services.cancel_shift, current_user, shift, done=_("The shift was cancelled and everyone was told."))
    return redirect_to(url_for("campaigns.shift", shift_id=shift_id))


# --- on the day: the shift's lead (a volunteer named by staff) or staff ---

def _lead_shift(shift_id) -> Shift:
    shift = get_or_404(Shift, shift_id)
    require(services.can_lead(current_user, shift))
    return shift


def _check_in_context(shift, walk_in=None):
    signups = queries.check_in_list(shift.id)
    return dict(shift=shift, signups=signups, form=EmptyForm(),
                walk_in=walk_in or WalkInForm(formdata=None), hours=HoursForm(formdata=None),
                minutes_of=services.minutes_of,
                consents=queries.media_consents(shift.campaign_id, [s.user_id for s in signups]))


@bp.get("/shifts/<int:shift_id>/check-in")
@login_required
def check_in(shift_id):
    shift = _lead_shift(shift_id)
    return render("campaigns/check_in.html", **_check_in_context(shift))


@bp.post("/signups/<int:signup_id>/check-in")
@login_required
def mark(signup_id):
    signup = get_or_404(Signup, signup_id)
    require(services.can_lead(current_user, signup.shift))
    if EmptyForm().validate_on_submit():
        result, error = attempt(services.check_in, current_user, signup, request.form.get("present") == "1")
        if error is not None:
            flash(str(error), "error")
    return block_or_redirect(url_for("campaigns.check_in", shift_id=signup.shift_id), "campaigns/check_in.html",
                             "row", lambda: _row(signup))


@bp.post("/signups/<int:signup_id>/hours")
@login_required
def hours(signup_id):
    signup = get_or_404(Signup, signup_id)
    require(services.can_lead(current_user, signup.shift))
    form = HoursForm()
    if form.validate_on_submit():
        result, error = attempt(services.set_hours, current_user, signup, form.minutes)
        flash(str(error), "error") if error is not None else flash(_("Hours saved."), "success")
    else:
        flash(_("Write between 0 and 24 hours."), "error")
    return block_or_redirect(url_for("campaigns.check_in", shift_id=signup.shift_id), "campaigns/check_in.html",
                             "row", lambda: _row(signup))


def _row(signup):
    """One small answer per tap: the person's row, with what happened."""
    db.session.refresh(signup)
    return dict(s=signup, shift=signup.shift, form=EmptyForm(), hours=HoursForm(formdata=None),
                minutes_of=services.minutes_of,
                consents=queries.media_consents(signup.shift.campaign_id, [signup.user_id]))


@bp.post("/shifts/<int:shift_id>/walk-in")
@login_required
def walk_in(shift_id):
    shift = _lead_shift(shift_id)
    form = WalkInForm()
    if form.validate_on_submit():
        person = accounts.find_by_login(form.identifier.data)
        if person is None:
            form.identifier.errors.append(_("Nobody is registered with this number or e-mail. "
                                            "Ask the person to register first."))
        else:
            result, error = attempt(services.add_walk_in, current_user, shift, person)
            if error is None:
                signup, beyond = result
                flash(_("%(name)s was added as present.", name=person.name), "success")
                if beyond:
                    flash(_("This is one more than the places of the shift."), "info")
                return redirect_to(url_for("campaigns.check_in", shift_id=shift_id))
            form.identifier.errors.append(str(error))
    return render("campaigns/check_in.html", "walk_in", status=422, **_check_in_context(shift, form))


# --- hours ---

@bp.get("/hours")
@login_required
def my_hours():
    managed = [m.organisation for m in memberships_for(current_user) if m.is_manager]
    return render("campaigns/hours.html", rows=queries.hours_of(current_user.id), minutes_of=services.minutes_of,
                  orgs=[(org, queries.org_hours(org.id)) for org in managed[:5]])


@staff_bp.post("/shifts/<int:shift_id>/approve-hours")
def approve_hours(shift_id):
    shift = get_or_404(Shift, shift_id)
    if EmptyForm().validate_on_submit():
        n, error = attempt(services.approve_hours, current_user, shift)
        if error is not None:
            flash(str(error), "error")
        else:
            flash(ngettext("Hours of %(num)d person approved.", "Hours of %(num)d people approved.", n), "success")
    return redirect_to(url_for("campaigns.check_in", shift_id=shift_id))


@staff_bp.get("/hours")
def all_hours():
    page = paginate(queries.all_hours_query())
    return render("campaigns/staff_hours.html", page=page)


@staff_bp.get("/hours.csv")
def hours_csv():
    return attachment(queries.hours_csv(), "text/csv; charset=utf-8", "volunteer-hours.csv")


@bp.get("/signups/<int:signup_id>/calendar.ics")
@login_required
def signup_ics(signup_id):
    signup = get_or_404(Signup, signup_id)
    require(services.can_act_on(current_user, signup.user_id, signup.organisation_id))
    return attachment(calendar.signup_ics(signup, str(get_locale())), calendar.ICS, f"shift-{signup.shift_id}.ics")
