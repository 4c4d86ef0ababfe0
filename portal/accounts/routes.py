from flask import current_app, flash, has_request_context, redirect, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, decode_cookie, login_required, login_user, logout_user

from portal import throttle
from portal.accounts import bp, services
from portal.accounts.devices import remember_device, this_device
from portal.accounts.forms import (
    DiscreetForm, LanguageForm, LoginForm, PasswordForm, PhoneChangeForm, PhoneCodeForm, RegisterForm, ResetForm, ResetRequestForm,
)
from portal.accounts.models import SignInEnd
from portal.extensions import csrf
from portal.notifications import whatsapp
from portal.web import attempt, is_safe_next, redirect_to, render, render_form
from portal.web.forms import EmptyForm

LANG_COOKIE = "lang"


def _language_cookie(response, locale: str) -> None:
    """The language chosen on this browser, for pages before she signs in (a year)."""
    response.set_cookie(LANG_COOKIE, locale, max_age=365 * 86400, samesite="Lax", httponly=True)


def _next_url(form_next: str | None = None) -> str:
    target = form_next or request.args.get("next")
    return target if is_safe_next(target) else url_for("main.home")


def _signed_in(user, response):
    """Her browser is signed in: whoever was signed in on it before is signed out (on a shared phone, the
    earlier person's remembered sign-in must not come back when hers ends), and a new session begins with
    her sign-in's token; the browser is one the account signed in on from now on (devices.py)."""
    services.end_sign_in(_this_browsers_sign_ins(), SignInEnd.REPLACED)
    remembered_before = _remember_cookie() is not None
    session.clear()
    login_user(user, remember=bool(user.sign_in.remember))
    if remembered_before and not user.sign_in.remember:
        session["_remember"] = "clear"  # Flask-Login deletes the earlier remember cookie
    session["_fresh"] = True
    _language_cookie(response, user.locale)
    return remember_device(response, user.id)


def _forget_browser(response, everything: bool = False):
    """Nothing of hers is left in this browser: the session is emptied before Flask-Login is told to sign
    out, so that it deletes the remember cookie (emptied after, it had forgotten to), and her pages, which
    are never stored (no-store), cannot come back with Back. The quick exit also asks the browser to drop
    every cookie of the site, the language and the device cookie too. (Not Clear-Site-Data's "cache":
    Chrome can take seconds over it, and her pages are not in the cache.)"""
    session.clear()
    logout_user()
    if everything:
        response.headers["Clear-Site-Data"] = '"cookies", "storage"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_next_url())
    form = LoginForm(next=request.args.get("next", ""))
    error = None
    if form.validate_on_submit():
        user, error = attempt(services.sign_in, form.identifier.data, form.password.data,
                              remember=bool(form.remember.data), address=throttle.address(), device=this_device())
        if error is None:
            return _signed_in(user, redirect_to(_next_url(form.next.data)))
    return render_form("accounts/login.html", form=form, error=error)


def _remember_cookie() -> str | None:
    return request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))


def _this_browsers_sign_ins() -> list[str]:
    """The sign-in tokens this request carries, the session's and the remember cookie's, read before
    Flask-Login looks at them: its session protection empties the session of a phone whose address changed
    since it signed in, and that sign-in must end too."""
    cookie = _remember_cookie()
    return [t for t in (session.get("_user_id"), decode_cookie(cookie) if cookie else None) if t]


@bp.post("/logout")
@csrf.exempt
def logout():
    """Not guarded by a CSRF token: a sign-out must work from a page left open for hours (its token expired),
    and all another site could do with it is sign her out."""
    services.end_sign_in(_this_browsers_sign_ins(), SignInEnd.SIGNED_OUT)
    response = _forget_browser(redirect_to(url_for("main.home")))
    flash(_("You are signed out."), "success")
    return response


@bp.get("/exit")
def quick_exit():
    """The quick exit: her sign-in ends (the remembered one too), the browser is told to forget the site, and
    she is sent to a harmless page. A plain link, so that it works at once from any page, with or without
    JavaScript and however old the page (no form token to expire); another site could only sign her out."""
    services.end_sign_in(_this_browsers_sign_ins(), SignInEnd.QUICK_EXIT)
    return _forget_browser(redirect(current_app.config["QUICK_EXIT_URL"], 303), everything=True)


@bp.post("/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    if EmptyForm().validate_on_submit():
        services.end_sign_ins(current_user, SignInEnd.EVERYWHERE)
        response = _forget_browser(redirect_to(url_for("main.home")))
        flash(_("You are signed out on every phone and computer."), "success")
        return response
    return redirect_to(url_for("accounts.account"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordForm()
    error = None
    if form.validate_on_submit():
        _user, error = attempt(services.change_password, current_user, form.current.data, form.password.data)
        if error is None:
            flash(_("Your password was changed. You are signed out on your other phones and computers."),
                  "success")
            return redirect_to(url_for("accounts.account"))
    return render_form("accounts/password.html", form=form, error=error)


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_next_url())
    form = RegisterForm(next=request.args.get("next", ""), locale=_current_locale())
    error = None
    if form.validate_on_submit():
        user, error = attempt(services.register, form.name.data, form.password.data, locale=form.locale.data,
                              phone=form.phone.data or None, email=form.email.data or None,
                              address=throttle.address())
        if error is None:
            target, phone, refused = _next_url(form.next.data), None, None
            if form.phone.data:  # her number is hers once she types back the code sent to it
                phone, refused = attempt(services.send_phone_code, user, form.phone.data,
                                         address=throttle.address())
                target = url_for("accounts.confirm_phone", next=target)
            response = _signed_in(services.start_sign_in(user), redirect_to(target))  # a new session: flash after
            with force_locale(user.locale):  # the language she chose in the form, not the page's
                flash(_("Welcome! Your account is ready."), "success")
                if phone:
                    flash(_("We sent a code to %(phone)s. Type it here to confirm that the number is yours.",
                            phone=phone), "info")
                elif refused is not None:
                    flash(str(refused), "error")
            return response
    return render_form("accounts/register.html", form=form, error=error)


@bp.route("/reset", methods=["GET", "POST"])
def reset_request():
    form = ResetRequestForm()
    error = None
    if form.validate_on_submit():
        _sent, error = attempt(services.request_reset, form.identifier.data, address=throttle.address())
        if error is None:
            flash(_("If an account has this mobile number or e-mail, a code is on its way. "
                    "It can take a few minutes."), "success")
            return redirect_to(url_for("accounts.reset_confirm"))
    return render_form("accounts/reset_request.html", form=form, error=error)


@bp.route("/reset/code", methods=["GET", "POST"])
def reset_confirm():
    form = ResetForm()
    error = None
    if form.validate_on_submit():
        _changed, error = attempt(services.reset_password, form.identifier.data, form.code.data, form.password.data,
                                  address=throttle.address())
        if error is None:
            flash(_("Your password was changed. Sign in with the new one."), "success")
            return redirect_to(url_for("accounts.login"))
    return render_form("accounts/reset_confirm.html", form=form, error=error)


@bp.route("/phone/confirm", methods=["GET", "POST"])
@login_required
def confirm_phone():
    """Where she types the code sent to her number (or to the new number she asked for)."""
    form = PhoneCodeForm(next=request.args.get("next", ""))
    pending = services.pending_number(current_user)
    if not pending and (current_user.phone_confirmed or not current_user.phone):
        return redirect_to(_next_url(form.next.data) if form.next.data else url_for("accounts.account"))
    error = None
    if form.validate_on_submit():
        _user, error = attempt(services.confirm_phone, current_user, form.code.data, address=throttle.address())
        if error is None:
            flash(_("Thank you: your number %(phone)s is confirmed.", phone=current_user.phone), "success")
            return redirect_to(_next_url(form.next.data) if form.next.data else url_for("accounts.account"))
    return render_form("accounts/phone_confirm.html", form=form, error=error, pending=pending,
                       resend=EmptyForm(), undelivered=services.code_undelivered(current_user, pending))


@bp.post("/phone/send")
@login_required
def send_phone_code():
    """A new code to her number (the one she registered with, not yet confirmed)."""
    form = EmptyForm()
    if form.validate_on_submit():
        phone, error = attempt(services.send_phone_code, current_user, services.pending_number(current_user),
                               address=throttle.address())
        if error is None:
            flash(_("A new code is on its way to %(phone)s. It can take a few minutes.", phone=phone), "success")
        else:
            flash(str(error), "error")
    wanted = request.form.get("next", "")  # where she was going, kept for after the code
    return redirect_to(url_for("accounts.confirm_phone", next=wanted) if is_safe_next(wanted) and wanted
                       else url_for("accounts.confirm_phone"))


@bp.route("/phone", methods=["GET", "POST"])
@login_required
def change_phone():
    form = PhoneChangeForm()
    error = None
    if form.validate_on_submit():
        phone, error = attempt(services.change_phone, current_user, form.current.data, form.phone.data,
                               address=throttle.address())
        if error is None:
            flash(_("We sent a code to %(phone)s. Your number changes when you type it here.", phone=phone),
                  "info")
            return redirect_to(url_for("accounts.confirm_phone"))
    return render_form("accounts/phone_change.html", form=form, error=error)


@bp.post("/discreet")
@login_required
def set_discreet():
    """Discreet wording on or off, from her account or from where she books (back there after)."""
    form = DiscreetForm()
    if form.validate_on_submit():
        on = form.on.data == "1"
        services.set_discreet(current_user, on)
        flash(_("Your messages and calendar now say only \"Mission Portal\", the time and the place.") if on
              else _("Your messages and calendar say again what they are about."), "success")
    else:
        flash(_("Nothing was changed: the page was out of date. Try again."), "error")
    back = form.next.data if form.next.data and is_safe_next(form.next.data) else url_for("accounts.account")
    return redirect_to(back)


@bp.post("/language")
def set_language():
    form = LanguageForm()
    if not form.validate_on_submit():
        flash(_("This language is not available."), "error")
        return redirect(_next_url(form.next.data), 303)
    locale = services.set_language(current_user, form.locale.data)
    response = redirect(_next_url(form.next.data), 303)
    _language_cookie(response, locale)
    return response


@bp.route("/messages", methods=["GET", "POST"])
@login_required
def messages():
    """How her messages reach her: per topic a channel or none, WhatsApp once she agrees to it."""
    from portal.notifications import forms as choice
    from portal.notifications.services import save_choices
    from portal.organisations.services import memberships_for
    topics = choice.topics_for(current_user, memberships_for(current_user))
    posted = request.method == "POST"
    form = choice.messages_form(current_user, topics, formdata=request.form if posted else None)
    error = None
    if posted and form.validate_on_submit():
        _none, error = attempt(save_choices, current_user, choice.chosen(form, topics), choice.agreed(form))
        if error is None:
            flash(_("Saved: this is how your messages reach you."), "success")
            return redirect_to(url_for("accounts.messages"))
    return render_form("accounts/messages.html", form=form, error=error, topics=topics,
                       whatsapp_offered=whatsapp.offered(current_app.config))


@bp.get("/account")
@login_required
def account():
    from portal.organisations.services import memberships_for
    return render("accounts/account.html", memberships=memberships_for(current_user),
                  signed_in=services.active_sign_ins(current_user), form=EmptyForm(),
                  pending=services.pending_number(current_user),
                  whatsapp_offered=whatsapp.offered(current_app.config))


def _current_locale() -> str:
    from flask_babel import get_locale
    return str(get_locale())


def select_locale():
    """The signed-in user's choice, else the cookie of the language switch, else Accept-Language."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # the CLI and the worker: messages pick their own with force_locale
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in languages:
        return cookie
    # Phones often say "tl" for Filipino and the old code "in" for Indonesian.
    best = request.accept_languages.best_match([*languages, "tl", "in"], default="en")
    return {"tl": "fil", "in": "id"}.get(best, best)
