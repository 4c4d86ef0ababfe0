"""Who may do what with an organisation: one predicate each, asked by services, routes and templates alike
(the Mission's side through portal/accounts/roles.py). A membership is asked once per request (memo)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from portal.accounts.roles import Power, can
from portal.extensions import db
from portal.memo import remembered
from portal.organisations.models import MemberRole, Membership, MemberState, Organisation


def membership_of(user, org: Organisation) -> Membership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return _membership(user.id, org.id)


def is_active_member(user_id: int, org_id: int) -> bool:
    """An accepted member (any role) of the organisation: who may see and book its outreach sessions."""
    m = _membership(user_id, org_id)
    return m is not None and m.state == MemberState.ACTIVE


def _membership(user_id: int, org_id: int) -> Membership | None:
    # Only the membership row: its organisation and person are already in the session (asked for by the
    # caller, and the signed-in user), so joining them in again (with the organisation's registrant) for
    # each permission check was wasted work.
    # Asked up to four times by one page (see, manage, lead): once per request, forgotten at any write.
    return remembered(("membership", user_id, org_id), lambda: db.session.scalar(select(Membership).where(
        Membership.organisation_id == org_id, Membership.user_id == user_id)
        .options(lazyload(Membership.organisation), lazyload(Membership.user))))


def can_view(user, org: Organisation) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return can(user, Power.SEE_ORGANISATIONS) or is_active_member(user.id, org.id)


def can_manage(user, org: Organisation) -> bool:
    """Leader or co-leader: accept and remove members, see and rotate the code, edit the profile."""
    m = membership_of(user, org)
    return m is not None and m.is_manager


def can_see_inside(user, org: Organisation) -> bool:
    """Its leader or co-leader, and Mission staff: the members, the contact, why it was not approved, a new
    name that waits."""
    return can_manage(user, org) or can(user, Power.SEE_ORGANISATIONS)


def is_leader(user, org: Organisation) -> bool:
    m = membership_of(user, org)
    return m is not None and m.state == MemberState.ACTIVE and m.role == MemberRole.LEADER


def can_decide(user) -> bool:
    return can(user, Power.DECIDE_ORGANISATIONS)


# --- places held for a person (a training's seat, a shift's place): one rule for every domain ---

def may_take_for(actor, person_id: int, org: Organisation | None, *, staff: bool) -> bool:
    """Who may take a place for `person_id`: herself (not through an organisation); the Mission (`staff`: the
    domain's power, asked by the caller); or her organisation's leader or co-leader, for an accepted member."""
    if not getattr(actor, "is_authenticated", False):
        return False
    if staff or (actor.id == person_id and org is None):
        return True
    if org is None or not can_manage(actor, org):
        return False
    return is_active_member(person_id, org.id)


def may_act_on(actor, person_id: int, org_id: int | None, *, staff: bool) -> bool:
    """Who may change a place held (or a place in line): its holder; the Mission (`staff`); or the leader or
    co-leader of the organisation it was taken through, while she is still an accepted member of it (rights
    through an organisation end with the membership)."""
    if not getattr(actor, "is_authenticated", False):
        return False
    if staff or actor.id == person_id:
        return True
    if org_id is None:
        return False
    org = db.session.get(Organisation, org_id)
    return org is not None and can_manage(actor, org) and is_active_member(person_id, org_id)
