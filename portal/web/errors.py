"""Error pages in the user's language; nothing from a user ends in a bare 500."""
import traceback

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.extensions import db

MESSAGES = {
    400: (_l("Something in the request was wrong"), _l("Please go back and try again.")),
    403: (_l("Not allowed"), _l("Your account is not allowed to see or do this.")),
    404: (_l("Page not found"), _l("This page does not exist, or it was removed.")),
    405: (_l("Not allowed this way"), _l("Please use the buttons and links on the page.")),
    413: (_l("Too large"), _l("What you sent is too large. Please send something smaller.")),
    429: (_l("Too many tries"), _l("Please wait a few minutes and try again.")),
    500: (_l("Something went wrong on our side"), _l("Nothing was changed. Please try again later.")),
}
CSRF_MESSAGE = (_l("This form has expired"),
                _l("To protect your account, forms expire. Please go back, reload the page and send it again."))


def error_page(code, title, text):
    db.session.rollback()
    body = render_template("errors.html", code=code, title=title, text=text)
    response = (body, code)
    return response


def init_app(app):
    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return error_page(400, *CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def http_error(e):
        code = e.code or 500
        title, text = MESSAGES.get(code, MESSAGES[400 if code < 500 else 500])
        response = e.get_response()
        body, status = error_page(code, title, text)
        response.set_data(body)
        response.status_code = status
        response.mimetype = "text/html"
        return response

    @app.errorhandler(Exception)
    def unexpected(e):
        # The exception's text can hold SQL parameters (personal data): log its type and frames only.
        app.logger.error("Unhandled %s on %s %s\n%s", type(e).__name__, request.method, request.endpoint,
                         "".join(traceback.format_tb(e.__traceback__)))
        return error_page(500, *MESSAGES[500])
