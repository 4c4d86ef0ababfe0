"""Values of messages (the outbox renders them in the recipient's language)."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from portal.clock import aware
from portal.trainings.models import TrainingSession
from portal.web.templating import format_datetime_named as format_datetime

# --- texts for messages, rendered in the recipient's language by the outbox ---

class _InLocale:
    """A value whose text is made when the outbox renders the message, in the recipient's language."""

    def __init__(self, fn):
        self.fn = fn

    def __str__(self):
        return self.fn()


def _title(ts: TrainingSession):
    return _InLocale(lambda: ts.course.title)


def _when(dt: datetime):
    return _InLocale(lambda: format_datetime(aware(dt), "day_time"))


def _where(ts: TrainingSession):
    return _InLocale(lambda: ts.venue or _("your organisation's meeting place"))
