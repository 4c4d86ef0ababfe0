"""What every blueprint shares: answering HTMX with a block, access checks,
domain errors, safe redirects, pagination. Security headers, error pages, static
files and template helpers are in the modules beside this one."""
from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import Callable
from pathlib import Path
from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, make_response, redirect, render_template, request
from flask_babel import lazy_gettext as _l
from jinja2_fragments.flask import render_block
from sqlalchemy import func
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.routing import IntegerConverter

from portal.extensions import db


class DomainError(Exception):
    """A rule the user broke; the message is translatable and shown as is."""

    message = _l("That could not be done.")
    status = 422  # of the answer that shows the refused form again

    def __init__(self, message=None):
        if message is not None:
            self.message = message
        super().__init__(str(self.message))


class NotAllowed(DomainError):
    message = _l("You are not allowed to do that.")


class StateChanged(DomainError):
    message = _l("This was already changed. The page is now up to date.")


class StateMachine:
    """A model whose `state` moves only along `TRANSITIONS` (state -> the states it may go to), the one
    place that says which changes are allowed. Services move it with `move()`; templates and services ask
    `can()`. A state the table does not allow is refused as "already changed": someone got there first."""
    TRANSITIONS = {}  # not annotated: SQLAlchemy would take an annotation for a column

    def can(self, to) -> bool:
        return to in self.TRANSITIONS[self.state]

    def move(self, to) -> None:
        if not self.can(to):
            raise StateChanged()
        self.state = to


def ask_first(question: str, yes: str, back: str, detail: str | None = None):
    """A tap that cannot be taken back, sent by a plain POST form (cancelling a session for everyone): the
    first POST answers the question on a page of its own (confirm.html: no JavaScript needed), whose button
    sends the same POST again with sure=1. Returns that page, or None once she is sure."""
    if request.form.get("sure") == "1":
        return None
    return render("confirm.html", question=question, yes=yes, back=back, detail=detail, no=_l("No, go back"),
                  action=request.path, sure=True)


def render(template: str, block: str | None = None, status: int = 200, **context):
    """The whole page, or only `block` of it when HTMX asks (same template, no copy). A block carries the
    request's messages inside its first element, so that every HTMX answer shows what happened where she
    tapped (no block has to remember to include them)."""
    if block and request.htmx and not request.htmx.boosted:
        body = render_block(template, block, **context)
        messages = render_template("_flashes.html")
        if messages.strip():
            body = _inside_first_element(body, messages)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


_START_TAG = re.compile(r"""<[a-zA-Z][^\s/>]*(?:\s+[^\s=/>]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?)*\s*>""")


def _inside_first_element(html: str, inner: str) -> str:
    tag = _START_TAG.search(html)
    return html[:tag.end()] + inner + html[tag.end():] if tag else inner + html


def contains(column, text: str):
    """`column` holds `text` anywhere, whatever the case; LIKE's wildcards in `text` are taken as typed."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


def block_or_redirect(url: str, template: str, block: str, context: Callable[[], dict]):
    """The answer to a POST that changed part of a page: for HTMX that part (with its messages), worked out
    only then; without JavaScript a redirect back to the page (post/redirect/get)."""
    if request.htmx:
        return render(template, block, **context())
    return redirect_to(url)


def filters_from(form_class, prepare=None):
    """A GET filter form read from the URL: (the form as sent, to show with its errors; the form to filter by,
    which is the default one where the sent one was refused: the list then shows everything, and says why).
    `prepare(form)` sets what the form needs before it is checked (choices read from the database)."""
    sent = form_class(request.args)
    if prepare:
        prepare(sent)
    if sent.validate():
        return sent, sent
    default = form_class(formdata=None)
    if prepare:
        prepare(default)
    return sent, default


def render_form(template: str, **context):
    """A page with a form in its "form" block: a POST that gets here was refused: 422, or the status of the
    rule that attempt() found broken (429 for too many tries)."""
    status = getattr(g.get("refused"), "status", 422) if request.method == "POST" else 200
    return render(template, "form", status=status, **context)


def attempt(fn, *args, **kwargs):
    """Call one service: (its result, None), or (None, the rule the user broke) after a rollback.
    Objects loaded before the call are expired by the rollback and read again when next used."""
    try:
        return fn(*args, **kwargs), None
    except StaleDataError:  # a row with a version (an organisation) was changed by someone else meanwhile
        return attempt(_raise, ChangedMeanwhile())
    except DomainError as e:
        db.session.rollback()
        g.refused = e
        return None, e.message


class ChangedMeanwhile(DomainError):
    message = _l("Someone else changed this at the same moment. The page is now up to date: look at it again.")


def _raise(error):
    raise error


def act(fn, *args, done):
    """Call one service; flash `done`, or the rule the user broke (and roll back). True if it worked."""
    result, error = attempt(fn, *args)
    flash(str(error), "error") if error is not None else flash(done, "success")
    return error is None


def require(allowed: bool):
    """403 unless allowed; object checks call this with a can_*() helper."""
    if not allowed:
        abort(403)


def get_or_404(model, ident):
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj


def is_safe_next(target: str | None) -> bool:
    """A path of this site to go back to: no other host, and nothing that could break the Location header
    (a CR or LF there made the redirect fail) or be read two ways (backslashes, spaces, controls)."""
    if not target or len(target) > 2000 or _UNSAFE_IN_PATH.search(target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//")


_UNSAFE_IN_PATH = re.compile(r"[\x00-\x20\x7f-\x9f\\\u2028\u2029]")


def attachment(body, content_type: str, filename: str, private: bool = True):
    """A file to download (a calendar, an export), never shown as a page; `private`: never kept by a browser
    or a cache on the way (it is hers, or staff's)."""
    response = make_response(body)
    response.headers["Content-Type"] = content_type
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    if private:
        response.headers["Cache-Control"] = "private, no-store"
    return response


def redirect_to(url: str, status: int = 303):
    """After a POST: a redirect, or HX-Redirect for HTMX so the browser navigates."""
    if request.htmx:
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, status)


@lru_cache(maxsize=64)
def _file_version(path: str, mtime: float) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:10]


def static_version(filename: str) -> str:
    """A content hash for cache busting: static files are cached for a year."""
    path = Path(current_app.static_folder) / filename
    try:
        return _file_version(str(path), path.stat().st_mtime)
    except OSError:
        return "0"


MAX_PAGE = 10_000


class DatabaseInt(IntegerConverter):
    """`<int:...>` in URLs, within what the database can hold: a larger number in the address is a page
    that does not exist (404), not an error of the database (SQLite cannot even be asked it)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)  # our ids are INTEGER columns
        super().__init__(map, *args, **kwargs)


def id_from(raw) -> int | None:
    """An id sent in a form, or None when it is none (or beyond what the database can hold: see DatabaseInt)."""
    raw = str(raw or "").strip()
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**31 else None


def paginate(select, per_page: int | None = None):
    """A page of a select(Model), or of a query object that pages itself (one with a `paginate(page,
    per_page)` method, such as the trainings catalogue, whose order the database reads in two parts).
    A page number beyond MAX_PAGE is read as MAX_PAGE (an empty page, not an offset the database refuses)."""
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    per_page = per_page or current_app.config["PER_PAGE"]
    if hasattr(select, "paginate"):
        return select.paginate(page=page, per_page=per_page)
    return db.paginate(select, page=page, per_page=per_page, error_out=False, count=True)
