"""What every template may use."""
from flask import current_app, get_flashed_messages
from flask_babel import format_date, format_datetime, get_locale

from markupsafe import Markup

from portal.web import static_version
from portal.web.assets import stylesheet


def init_app(app):
    from portal.organisations.models import COMMUNITIES, DISTRICTS, ORG_LANGUAGES
    from portal.trainings.models import DELIVERY_LANGUAGES, PROGRAMMES

    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.globals.update(
        static_version=static_version,
        inline_css=lambda: Markup(stylesheet()[0]),
        format_date=format_date,
        format_datetime=format_datetime,
    )

    @app.context_processor
    def common():
        return {
            "lang": str(get_locale()),
            "languages": current_app.config["LANGUAGES"],
            "site_title": current_app.config["SITE_TITLE"],
        }

    app.jinja_env.filters.update(
        community=lambda code: COMMUNITIES.get(code, code),
        district=lambda code: DISTRICTS.get(code, code),
        language=lambda code: ORG_LANGUAGES.get(code, code),
        delivery_language=lambda code: DELIVERY_LANGUAGES.get(code, code),
        programme=lambda code: PROGRAMMES.get(code, code),
    )
    app.jinja_env.globals["flashes"] = lambda: get_flashed_messages(with_categories=True)
