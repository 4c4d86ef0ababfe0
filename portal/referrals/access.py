"""Who may see and do what with a referral: one predicate each, asked by services, routes and templates alike,
with the SQL twin beside the one that lists use. The Mission's side is the table of powers in
portal/accounts/roles.py; the organisations' side is portal/organisations/access.py.

- The referring side: a leader or co-leader (today's, not only the one who filed it) of the organisation the
  referral came from fills its draft and follows it in a status-only view. A member who is not a leader, and
  every other organisation, reach none of it.
- The Mission: every role sees the queue's lines; a caseworker works the cases assigned to her; a supervisor
  works every case and decides (triage, accept, decline, assign); an administrator reads no case content.
"""
from __future__ import annotations

from sqlalchemy import select

from portal.accounts.roles import Power, can
from portal.organisations.access import can_manage
from portal.organisations.models import MemberRole, Membership, MemberState, OrgState, Organisation


def can_refer(user, org: Organisation) -> bool:
    """She may file referrals for this organisation: its leader or co-leader, once it is approved."""
    return org.state == OrgState.APPROVED and can_manage(user, org)


def can_follow(user, referral) -> bool:
    """The status-only view of the referral, and its draft while it is one."""
    return can_manage(user, referral.organisation)


def followed_by(user):
    """SQL twin of can_follow: the organisations whose referrals she follows (for `organisation_id.in_()`)."""
    return select(Membership.organisation_id).where(
        Membership.user_id == user.id, Membership.state == MemberState.ACTIVE,
        Membership.role.in_([MemberRole.LEADER, MemberRole.COLEADER]))


def can_see_queue(user) -> bool:
    return can(user, Power.REFERRAL_QUEUE)


def can_work(user, referral) -> bool:
    """The whole case: read it, write notes, set its dates, refer it onward, close it."""
    return can(user, Power.WORK_EVERY_CASE) or (
        can(user, Power.WORK_ASSIGNED_CASES) and referral.caseworker_id == user.id)


def can_decide(user) -> bool:
    """Triage, accept or decline, assign and reassign; answer a request for a worker's data."""
    return can(user, Power.WORK_EVERY_CASE)


def can_be_assigned(user) -> bool:
    return user.is_enabled and can(user, Power.WORK_ASSIGNED_CASES)
