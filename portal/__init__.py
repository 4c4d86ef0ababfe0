"""Mission Portal: create_app is the one way in."""
from pathlib import Path

from flask import Flask
from flask_babel import lazy_gettext as _l

from portal.config import Config
from portal.extensions import babel, compress, csrf, db, htmx, limiter, login, migrate


def create_app(config=None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, template_folder="../templates",
                static_folder="../static")
    app.config.from_object(config or Config.from_env())
    from portal.web import DatabaseInt
    app.url_map.converters["int"] = DatabaseInt
    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    import portal.models  # noqa: F401  (the whole schema; also registers the "portal-db://" limits storage)
    import portal.web.sqlite  # noqa: F401  (SQLite connection settings)
    from portal.accounts.routes import select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    htmx.init_app(app)
    limiter.init_app(app)
    compress.init_app(app)
    _init_login(app)

    from portal import crypto, memo
    from portal.web import assets, errors, security, templating
    crypto.init_app(app)
    memo.init_app(app)
    assets.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    templating.init_app(app)

    from portal.accounts import bp as accounts_bp
    from portal.campaigns import bp as campaigns_bp
    from portal.campaigns import share_bp
    from portal.campaigns import staff_bp as campaigns_staff_bp
    from portal.directory import bp as directory_bp
    from portal.directory import staff_bp as directory_staff_bp
    from portal.organisations import bp as organisations_bp
    from portal.referrals import bp as referrals_bp
    from portal.referrals import check_bp
    from portal.referrals import staff_bp as referrals_staff_bp
    from portal.staff import bp as staff_bp
    from portal.trainings import bp as trainings_bp
    from portal.trainings import staff_bp as trainings_staff_bp
    from portal.trainings.materials import bp as materials_bp
    from portal.trainings.materials import staff_bp as materials_staff_bp
    from portal.notifications import hooks_bp
    from portal.web.routes import bp as main_bp
    for bp in (main_bp, accounts_bp, organisations_bp, staff_bp, trainings_bp, trainings_staff_bp, materials_bp,
               materials_staff_bp, referrals_bp, referrals_staff_bp, check_bp, directory_bp, directory_staff_bp,
               campaigns_bp, campaigns_staff_bp, share_bp, hooks_bp):
        app.register_blueprint(bp)

    from portal import cli
    cli.init_app(app)
    return app


def _init_login(app):
    login.init_app(app)
    login.login_view = "accounts.login"
    login.login_message = _l("Please sign in to see this page.")
    login.login_message_category = "info"
    login.session_protection = "strong"

    @login.user_loader
    def load_user(token: str):
        from flask import request, session
        from flask_login import decode_cookie

        from portal.accounts.services import signed_in_user
        user = signed_in_user(token)
        cookie = request.cookies.get(app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))
        if user is None and cookie and decode_cookie(cookie) == token:
            session["_remember"] = "clear"  # an ended sign-in's cookie: deleted, not read on every request
        return user
