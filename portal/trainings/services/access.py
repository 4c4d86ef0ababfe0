"""Who may do what in the trainings (the Mission's side asks portal/accounts/roles.py)."""
from __future__ import annotations

from portal.accounts.roles import Power, can
from portal.organisations.models import Organisation
from portal.organisations.access import is_active_member, may_act_on, may_take_for
from portal.trainings.models import TrainingSession

# --- who may do what ---

def is_staff(user) -> bool:
    """Mission staff who run the trainings (portal/accounts/roles.py)."""
    return can(user, Power.RUN_TRAININGS)


def can_book_for(actor, person_id: int, org: Organisation | None) -> bool:
    """Herself; or a leader or co-leader for an accepted member of her organisation; or staff
    (organisations/access.may_take_for, the rule of every place)."""
    return may_take_for(actor, person_id, org, staff=is_staff(actor))


def can_act_on(actor, person_id: int, org_id: int | None) -> bool:
    """Her own booking or place; staff; or her organisation's leader or co-leader while she is still an
    accepted member of it (organisations/access.may_act_on; org_bookings is its twin for lists)."""
    return may_act_on(actor, person_id, org_id, staff=is_staff(actor))


def may_attend(person_id: int, ts: TrainingSession) -> bool:
    """An outreach session is for its organisation's accepted members; any other session, for anyone."""
    return ts.organisation_id is None or is_active_member(person_id, ts.organisation_id)


def can_see_session(user, ts: TrainingSession) -> bool:
    """Who may see a session: everyone an open one; an outreach one, those who may attend it and staff.
    Its SQL twin, for lists, is queries.visible_sessions."""
    if ts.organisation_id is None:
        return True
    return getattr(user, "is_authenticated", False) and (is_staff(user) or may_attend(user.id, ts))

