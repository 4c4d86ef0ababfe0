import hashlib

from flask import current_app, flash, has_request_context, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from portal.accounts import bp, services
from portal.accounts.forms import LanguageForm, LoginForm, RegisterForm, ResetForm, ResetRequestForm
from portal.extensions import limiter
from portal.web import DomainError, attempt, is_safe_next, redirect_to, render, render_form
from portal.web.errors import MESSAGES, error_page

LANG_COOKIE = "lang"


def _next_url(form_next: str | None = None) -> str:
    target = form_next or request.args.get("next")
    return target if is_safe_next(target) else url_for("main.home")


def _account_key() -> str:
    """Failed sign-ins counted per account: the identifier as typed, normalised and hashed."""
    raw = (request.form.get("identifier") or "").strip().lower()
    try:
        raw = services.normalise_phone(raw) if "@" not in raw else raw
    except DomainError:
        pass
    return "login-account:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def _failed(response) -> bool:
    return response.status_code != 303


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_ACCOUNT"], key_func=_account_key,
               methods=["POST"], deduct_when=_failed, scope="login-account")
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_ADDRESS"], methods=["POST"], deduct_when=_failed,
               scope="login-address")
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_next_url())
    form = LoginForm(next=request.args.get("next", ""))
    error = None
    if form.validate_on_submit():
        user, error = attempt(services.authenticate, form.identifier.data, form.password.data)
        if error is None:
            target = _next_url(form.next.data)
            session.clear()  # a new session at sign-in: nothing from before survives
            login_user(user, remember=bool(form.remember.data))
            session["_fresh"] = True
            response = redirect_to(target)
            response.set_cookie(LANG_COOKIE, user.locale, max_age=365 * 86400, samesite="Lax", httponly=True)
            return response
    return render_form("accounts/login.html", form=form, error=error)


# The forms whose sending is rate-limited, and their pages.
_LIMITED = {"accounts.login": (LoginForm, "accounts/login.html"),
            "accounts.reset_request": (ResetRequestForm, "accounts/reset_request.html"),
            "accounts.reset_confirm": (ResetForm, "accounts/reset_confirm.html")}


@bp.errorhandler(429)
def too_many_tries(e):
    """The form again, as she sent it (never the password), saying why it was refused: a page of its own
    lost what she typed, and HTMX, which swaps no error page, showed nothing at all."""
    if request.endpoint not in _LIMITED:
        return error_page(429, *MESSAGES[429])
    form_class, template = _LIMITED[request.endpoint]
    return render(template, "form", status=429, form=form_class(),
                  error=_("Too many tries. For your safety, please wait a few minutes and try again."))


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    flash(_("You are signed out."), "success")
    return redirect_to(url_for("main.home"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_next_url())
    form = RegisterForm(next=request.args.get("next", ""), locale=_current_locale())
    error = None
    if form.validate_on_submit():
        user, error = attempt(services.register, form.name.data, form.password.data, locale=form.locale.data,
                              phone=form.phone.data or None, email=form.email.data or None)
        if error is None:
            session.clear()
            login_user(user)
            flash(_("Welcome! Your account is ready."), "success")
            response = redirect_to(_next_url(form.next.data))
            response.set_cookie(LANG_COOKIE, user.locale, max_age=365 * 86400, samesite="Lax", httponly=True)
            return response
    return render_form("accounts/register.html", form=form, error=error)


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"], scope="reset-request")
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_reset(form.identifier.data)
        flash(_("If an account has this mobile number or e-mail, a code is on its way. "
                "It can take a few minutes."), "success")
        return redirect_to(url_for("accounts.reset_confirm"))
    return render_form("accounts/reset_request.html", form=form)


@bp.route("/reset/code", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"], scope="reset-confirm")
def reset_confirm():
    form = ResetForm()
    error = None
    if form.validate_on_submit():
        _changed, error = attempt(services.reset_password, form.identifier.data, form.code.data, form.password.data)
        if error is None:
            flash(_("Your password was changed. Sign in with the new one."), "success")
            return redirect_to(url_for("accounts.login"))
    return render_form("accounts/reset_confirm.html", form=form, error=error)


@bp.post("/language")
def set_language():
    form = LanguageForm()
    if not form.validate_on_submit():
        flash(_("This language is not available."), "error")
        return redirect(_next_url(form.next.data), 303)
    locale = services.set_language(current_user, form.locale.data)
    response = redirect(_next_url(form.next.data), 303)
    response.set_cookie(LANG_COOKIE, locale, max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


@bp.get("/account")
@login_required
def account():
    from portal.organisations.services import memberships_for
    return render("accounts/account.html", memberships=memberships_for(current_user))


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
