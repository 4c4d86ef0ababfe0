"""Who may do what in the trainings (the Mission's side asks portal/accounts/roles.py)."""
from __future__ import annotations

from portal.accounts.models import User
from portal.accounts.roles import Power, can
from portal.extensions import db
from portal.organisations.models import Organisation
from portal.organisations.access import can_manage, is_active_member
from portal.trainings.models import TrainingSession

# --- who may do what ---

def is_staff(user) -> bool:
    """Mission staff who run the trainings (portal/accounts/roles.py)."""
    return can(user, Power.RUN_TRAININGS)


def can_book_for(actor, person: User, org: Organisation | None) -> bool:
    """Herself; or a leader or co-leader for an accepted member of her organisation; or staff."""
    if not getattr(actor, "is_authenticated", False):
        return False
    if is_staff(actor) or (actor.id == person.id and org is None):
        return True
    if org is None or not can_manage(actor, org):
        return False
    return is_active_member(person.id, org.id)


def can_act_on(actor, person_id: int, org_id: int | None) -> bool:
    """Her own booking or place; staff; or her organisation's leader or co-leader while she is still an
    accepted member of it (rights through an organisation end with the membership: see org_bookings, its
    twin for lists)."""
    if not getattr(actor, "is_authenticated", False):
        return False
    if is_staff(actor) or actor.id == person_id:
        return True
    if org_id is None:
        return False
    org = db.session.get(Organisation, org_id)
    return org is not None and can_manage(actor, org) and is_active_member(person_id, org_id)


def may_attend(person_id: int, ts: TrainingSession) -> bool:
    """An outreach session is for its organisation's accepted members; any other session, for anyone."""
    return ts.organisation_id is None or is_active_member(person_id, ts.organisation_id)


def can_see_session(user, ts: TrainingSession) -> bool:
    """Who may see a session: everyone an open one; an outreach one, those who may attend it and staff.
    Its SQL twin, for lists, is queries.visible_sessions."""
    if ts.organisation_id is None:
        return True
    return getattr(user, "is_authenticated", False) and (is_staff(user) or may_attend(user.id, ts))

