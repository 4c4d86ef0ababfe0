"""Answers remembered for the rest of a request, forgotten at any write.

A page asks the same question of the database several times: the organisation page checks the
signed-in person's membership for "may she see it", "may she manage it" and "is she the leader", one
query each. `remembered(key, fn)` asks once per request. Whatever the session flushes, commits, rolls
back or writes with a bulk statement clears every remembered answer, so a check made after a change in the
same request sees the change. Outside a request (the worker, the CLI) nothing is remembered."""
from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

_KEY = "_memo"


def remembered(key, fn):
    if not has_request_context():  # the worker's app context lasts for hours: nothing is kept there
        return fn()
    memo = g.get(_KEY)
    if memo is None:
        memo = g._memo = {}
    if key not in memo:
        memo[key] = fn()
    return memo[key]


def forget(*_args, **_kwargs) -> None:
    if has_request_context():
        g.pop(_KEY, None)


event.listen(Session, "after_flush", forget)
event.listen(Session, "after_commit", forget)  # a new transaction (the booking's locked one) asks afresh
event.listen(Session, "after_rollback", forget)
event.listen(Session, "after_soft_rollback", forget)


def init_app(app) -> None:
    # A test may hold one application context across several requests: each request starts afresh.
    app.before_request(forget)
    app.teardown_request(forget)


@event.listens_for(Session, "do_orm_execute")
def _forget_on_write(state) -> None:
    if not state.is_select:
        forget()
