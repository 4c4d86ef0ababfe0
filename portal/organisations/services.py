"""Organisations: registration, staff approval, join codes, membership. Tested without HTTP."""
from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from portal import audit, throttle
from portal.accounts.models import User
from portal.audit import record
from portal.clock import utcnow
from portal.extensions import db
from portal.notifications.services import queue
from portal.organisations.access import (  # noqa: F401  (services.can_* are asked by routes too)
    can_decide, can_manage, can_see_inside, can_view, is_active_member, is_leader, membership_of,
)
from portal.organisations.models import (
    REJECT_REASON_LABELS, MemberRole, Membership, MemberState, Organisation, OrgState, RejectReason,
)
from portal.web import DomainError, NotAllowed

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read aloud and typed on phones
CODE_LENGTH = 8
PROFILE_FIELDS = ("name", "community", "languages", "district", "meeting_place", "contact",
                  "membership_size", "description")


class AlreadyDecided(DomainError):
    message = _l("This organisation was already decided by someone else. The list is now up to date.")


class ChangedMeanwhile(DomainError):
    message = _l("This organisation was changed while you were looking at it. The list is now up to date: "
                 "look at it again.")


class BadJoinCode(DomainError):
    message = _l("This join code is not right. Ask your leader for the code and try again.")


class AlreadyMember(DomainError):
    message = _l("You are already in this organisation, or your request is waiting for the leader.")


class NameTaken(DomainError):
    message = _l("An organisation with this name is already registered. Ask its leader for the join code.")


class MembershipChanged(DomainError):
    message = _l("This membership was already changed. The list is now up to date.")


class LastLeader(DomainError):
    message = _l("The leader cannot be removed. Make another member leader first.")


# --- registration and approval ---

def _check_name(name: str, exclude_id: int | None = None):
    q = select(Organisation.id).where(func.lower(Organisation.name) == name.strip().lower(),
                                      Organisation.state != OrgState.REJECTED)
    if exclude_id:
        q = q.where(Organisation.id != exclude_id)
    if db.session.scalar(q):
        raise NameTaken()


def register_organisation(user: User, address: str | None = None, **fields) -> Organisation:
    """A new organisation, waiting for the Mission. Limited per person and per address (`address` None: the
    demo and the CLI), so that no one fills the Mission's queue."""
    if address is not None:
        throttle.take((throttle.ORG_ACCOUNT, throttle.key(f"user:{user.id}")), (throttle.ORG_ADDRESS, address))
    _check_name(fields["name"])
    org = Organisation(**_clean(fields), state=OrgState.PENDING, created_by=user)
    db.session.add(org)
    db.session.flush()
    db.session.add(Membership(organisation=org, user=user, role=MemberRole.LEADER, state=MemberState.ACTIVE))
    record(user, "organisation.registered", org)
    db.session.commit()
    return org


def update_profile(user: User, org: Organisation, **fields) -> Organisation:
    """The leader's changes. An approved organisation's new name waits for the Mission (the rest is live at
    once); a registration the Mission did not approve goes back to it. The audit row names the fields that
    changed, not what they hold."""
    if not can_manage(user, org):
        raise NotAllowed()
    values = _clean(fields)
    name = values.pop("name", org.name)
    for key, value in values.items():
        setattr(org, key, value)
    changed = audit.changed(org, *values)
    details: dict = {"changed": changed}
    if name == org.name:
        if org.pending_name:  # she went back to the approved name
            org.pending_name = None
            details["name"] = "withdrawn"
    elif org.state == OrgState.APPROVED:
        if name != org.pending_name:
            _check_name(name, exclude_id=org.id)
            org.pending_name = name
            details["name"] = "waiting"
    else:
        _check_name(name, exclude_id=org.id)
        org.name = name
        changed.append("name")
    if org.state == OrgState.REJECTED:  # a corrected registration goes back to the Mission
        _transition(org, OrgState.PENDING)
        org.reject_reason = org.reject_note = None
        details["state"] = OrgState.PENDING
    record(user, "organisation.updated", org, details)
    db.session.commit()
    return org


def approve_name(staff: User, org: Organisation, seen_version: int | None = None) -> Organisation:
    """The Mission accepts the new name an approved organisation asked for (the one she saw: a name asked
    for again since is refused); the leader is told."""
    if not can_decide(staff):
        raise NotAllowed()
    if not org.pending_name:
        raise AlreadyDecided()
    _unchanged(org, seen_version)
    _check_name(org.pending_name, exclude_id=org.id)
    org.name, org.pending_name = org.pending_name, None
    record(staff, "organisation.name_approved", org, {"changed": ["name"]})
    if org.created_by:
        queue(org.created_by, "org_name_approved", org=org.name)
    db.session.commit()
    return org


def reject_name(staff: User, org: Organisation, seen_version: int | None = None) -> Organisation:
    """The Mission keeps the name the organisation was approved with; the leader is told."""
    if not can_decide(staff):
        raise NotAllowed()
    if not org.pending_name:
        raise AlreadyDecided()
    _unchanged(org, seen_version)
    org.pending_name = None
    record(staff, "organisation.name_rejected", org)
    if org.created_by:
        queue(org.created_by, "org_name_rejected", org=org.name)
    db.session.commit()
    return org


def approve(staff: User, org: Organisation, expected_state: str | None = None,
            seen_version: int | None = None) -> Organisation:
    if not can_decide(staff):
        raise NotAllowed()
    _decidable(org, expected_state, OrgState.APPROVED)
    _unchanged(org, seen_version)
    _transition(org, OrgState.APPROVED)
    org.decided_at = utcnow()
    org.join_code = org.join_code or _new_code()
    record(staff, "organisation.approved", org, {"state": OrgState.APPROVED})
    if org.created_by:
        queue(org.created_by, "org_approved", org=org.name)
    db.session.commit()
    return org


def reject(staff: User, org: Organisation, reason: str, note: str = "",
           expected_state: str | None = None, seen_version: int | None = None) -> Organisation:
    if not can_decide(staff):
        raise NotAllowed()
    reason = RejectReason(reason)
    _decidable(org, expected_state, OrgState.REJECTED)
    _unchanged(org, seen_version)
    _transition(org, OrgState.REJECTED)
    org.decided_at = utcnow()
    org.reject_reason, org.reject_note = reason, (note or "").strip()[:500] or None
    record(staff, "organisation.rejected", org, {"state": OrgState.REJECTED, "reason": reason.value})
    if org.created_by:
        queue(org.created_by, "org_rejected", org=org.name, reason=REJECT_REASON_LABELS[reason])
    db.session.commit()
    return org


def rotate_join_code(user: User, org: Organisation) -> str:
    if not can_manage(user, org) or org.state != OrgState.APPROVED:
        raise NotAllowed()
    org.join_code = _new_code()
    record(user, "organisation.code_rotated", org)
    db.session.commit()
    return org.join_code


# --- membership ---

def join(user: User, code: str, address: str | None = None) -> Membership:
    """Ask to join with a code. Wrong codes are limited per person and per address: a code is eight letters
    from 32, but guessing must still not be free."""
    checks = ((throttle.JOIN_ACCOUNT, throttle.key(f"user:{user.id}")),
              *(((throttle.JOIN_ADDRESS, address),) if address is not None else ()))
    taken = throttle.take(*checks)
    code = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    org = db.session.scalar(select(Organisation).where(Organisation.join_code == code)) if code else None
    if org is None or org.state != OrgState.APPROVED:
        raise BadJoinCode()
    taken.give_back()  # only wrong codes count
    m = membership_of(user, org)
    if m is None:
        m = Membership(organisation=org, user=user, role=MemberRole.MEMBER, state=MemberState.PENDING)
        db.session.add(m)
    elif m.can(MemberState.PENDING):
        m.state, m.role = MemberState.PENDING, MemberRole.MEMBER
    else:
        raise AlreadyMember()
    db.session.flush()
    record(user, "membership.requested", m, {"organisation_id": org.id})
    _tell_managers_someone_waits(org, m)
    db.session.commit()
    return m


def _tell_managers_someone_waits(org: Organisation, m: Membership) -> None:
    """Her leader and co-leaders are told that someone asked to join: once, when the first request comes to
    an empty queue (fifty members joining on a Sunday are one message, not fifty)."""
    others = db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.organisation_id == org.id, Membership.state == MemberState.PENDING, Membership.id != m.id))
    if others:
        return
    for manager in db.session.scalars(select(User).join(Membership, Membership.user_id == User.id).where(
            Membership.organisation_id == org.id, Membership.state == MemberState.ACTIVE,
            Membership.role.in_([MemberRole.LEADER, MemberRole.COLEADER]))):
        queue(manager, "join_request", org=org.name)


def accept_member(actor: User, m: Membership) -> Membership:
    if not can_manage(actor, m.organisation):
        raise NotAllowed()
    _member_transition(m, MemberState.ACTIVE)
    record(actor, "membership.accepted", m, {"organisation_id": m.organisation_id})
    queue(m.user, "member_accepted", org=m.organisation.name)
    db.session.commit()
    return m


def remove_member(actor: User, m: Membership) -> Membership:
    """A manager removes or declines a member; anyone may leave on her own."""
    own = actor.id == m.user_id
    if not own and not can_manage(actor, m.organisation):
        raise NotAllowed()
    if m.role == MemberRole.LEADER:
        raise LastLeader()
    if m.role == MemberRole.COLEADER and not own and not is_leader(actor, m.organisation):
        raise NotAllowed()
    _member_transition(m, MemberState.REMOVED)
    m.role = MemberRole.MEMBER
    record(actor, "membership.left" if own else "membership.removed", m, {"organisation_id": m.organisation_id})
    db.session.commit()
    return m


def set_role(actor: User, m: Membership, role: str) -> Membership:
    """The leader makes an active member co-leader, or a co-leader member again."""
    role = MemberRole(role)
    if not is_leader(actor, m.organisation) or role == MemberRole.LEADER or m.role == MemberRole.LEADER:
        raise NotAllowed()
    if m.state != MemberState.ACTIVE:
        raise DomainError(_l("Only an accepted member can be made co-leader."))
    if m.role != role:
        m.role = role
        record(actor, "membership.role_changed", m, {"role": role.value, "organisation_id": m.organisation_id})
        db.session.commit()
    return m


def memberships_for(user: User) -> list[Membership]:
    # With each organisation (the pages show it), without the organisation's registrant and without the
    # person again (the signed-in user, already loaded).
    return list(db.session.scalars(select(Membership).where(
        Membership.user_id == user.id, Membership.state != MemberState.REMOVED).order_by(Membership.id)
        .options(joinedload(Membership.organisation).lazyload(Organisation.created_by), lazyload(Membership.user))))


def active_members(org_id: int) -> list[Membership]:
    """The organisation's accepted members, in the order they joined."""
    return list(db.session.scalars(select(Membership).where(
        Membership.organisation_id == org_id, Membership.state == MemberState.ACTIVE).order_by(Membership.id)))


def members_to_act_for(user) -> tuple[list[Membership], dict[int, list[Membership]]]:
    """The approved organisations she leads or co-leads, and for each its accepted members but herself: whom she
    may book a training or sign up a shift for."""
    if not getattr(user, "is_authenticated", False):
        return [], {}
    lead = [m for m in memberships_for(user) if m.is_manager and m.organisation.state == OrgState.APPROVED]
    return lead, {m.organisation_id: [x for x in active_members(m.organisation_id) if x.user_id != user.id]
                  for m in lead}


# --- helpers ---

def _clean(fields: dict) -> dict:
    out = {k: fields[k] for k in PROFILE_FIELDS if k in fields}
    if isinstance(out.get("languages"), (list, tuple)):
        out["languages"] = ",".join(out["languages"])
    for key in ("name", "meeting_place", "contact", "description"):
        if key in out:
            out[key] = (out[key] or "").strip()
    return out


def _transition(org: Organisation, to: OrgState):
    if not org.can(to):
        raise AlreadyDecided()
    org.state = to


def _decidable(org: Organisation, expected_state: str | None, to: OrgState):
    if expected_state is not None and expected_state != org.state:
        raise AlreadyDecided()
    if not org.can(to):
        raise AlreadyDecided()


def _unchanged(org: Organisation, seen_version: int | None) -> None:
    """The staff member decides on the organisation as she saw it (its name, its profile): one changed
    since, by its leader or by another staff member, is refused and shown again."""
    if seen_version is not None and seen_version != org.version:
        raise ChangedMeanwhile()


def _member_transition(m: Membership, to: MemberState):
    """One conditional UPDATE (from the state this request saw): of a leader accepting her and the member
    leaving at the same moment, one wins and the other is told, never both (the leader then kept rights
    over a member who had left)."""
    if not m.can(to):
        raise MembershipChanged()
    done = db.session.execute(update(Membership).where(Membership.id == m.id, Membership.state == m.state)
                              .values(state=to).execution_options(synchronize_session=False)).rowcount
    if not done:
        raise MembershipChanged()
    set_committed_value(m, "state", to)


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not db.session.scalar(select(Organisation.id).where(Organisation.join_code == code)):
            return code
