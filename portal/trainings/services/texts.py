"""Values of messages (the outbox renders them in the recipient's language)."""
from __future__ import annotations

from flask_babel import gettext as _

from portal.trainings.models import TrainingSession
from portal.web.templating import InLocale, moment

# --- texts for messages, rendered in the recipient's language by the outbox ---

_InLocale = InLocale  # (portal/web/templating.py: one for every domain)


def _title(ts: TrainingSession):
    return _InLocale(lambda: ts.course.title)


_when = moment


def _where(ts: TrainingSession):
    return _InLocale(lambda: ts.venue or _("your organisation's meeting place"))
