"""Who may do what on the Mission's side: the one table of powers of each Mission role.

Services ask `can(user, Power.X)`; templates ask the same through the `can` global. A new power (the
referrals' triage, reading a case, reports) is added here with the roles that hold it, and nowhere else.
Every Mission role holds the powers of the organisations, trainings and materials work and sees the
referral queue's lines (reference, category, programme, urgency, deadline, organisation, state, caseworker),
and nothing more of a case. The roles differ where a case's content begins: a caseworker reads and works the
cases assigned to her; a supervisor reads every case, triages, decides, assigns and answers access requests;
an administrator manages accounts and reads no case content (portal/referrals/access.py asks these).
"""
from __future__ import annotations

from enum import StrEnum

from portal.accounts.models import MissionRole


class Power(StrEnum):
    STAFF_PAGES = "staff_pages"                    # the staff desk under /staff/
    SEE_ORGANISATIONS = "see_organisations"        # every organisation's page, its members and contact
    DECIDE_ORGANISATIONS = "decide_organisations"  # approve or not, a new name
    RUN_TRAININGS = "run_trainings"                # courses, sessions, attendance, outreach; book anyone
    RUN_CAMPAIGNS = "run_campaigns"                # campaigns, shifts, check-in, hours; sign anyone up
    MANAGE_MATERIALS = "manage_materials"          # the DRID library
    MANAGE_DIRECTORY = "manage_directory"          # the directory of partner services (IPMA)
    REFERRAL_QUEUE = "referral_queue"              # the queue's lines, never a case's content
    WORK_ASSIGNED_CASES = "work_assigned_cases"    # read, note, refer onward and close her own cases
    WORK_EVERY_CASE = "work_every_case"            # the same for every case; triage, decide, (re)assign
    MANAGE_ACCOUNTS = "manage_accounts"            # Mission accounts and their roles
    RESEND_MESSAGES = "resend_messages"            # the outbox's failed messages (kind, channel, error), sent again
    HELP_INTO_ACCOUNT = "help_into_account"        # at the desk, she with her phone: a reset code to her number


_EVERY_DESK = frozenset({Power.STAFF_PAGES, Power.SEE_ORGANISATIONS, Power.DECIDE_ORGANISATIONS,
                         Power.RUN_TRAININGS, Power.RUN_CAMPAIGNS, Power.MANAGE_MATERIALS, Power.REFERRAL_QUEUE,
                         Power.MANAGE_DIRECTORY, Power.HELP_INTO_ACCOUNT})

POWERS: dict[MissionRole, frozenset[Power]] = {
    MissionRole.STAFF: _EVERY_DESK,
    MissionRole.CASEWORKER: _EVERY_DESK | {Power.WORK_ASSIGNED_CASES},
    MissionRole.SUPERVISOR: _EVERY_DESK | {Power.WORK_ASSIGNED_CASES, Power.WORK_EVERY_CASE},
    MissionRole.ADMIN: _EVERY_DESK | {Power.MANAGE_ACCOUNTS, Power.RESEND_MESSAGES},
}


def can(user, power: Power | str) -> bool:
    """Whether this person's Mission role holds `power` (never, for anyone without a Mission role)."""
    if not getattr(user, "is_authenticated", False) or not user.role:
        return False
    try:
        return Power(power) in POWERS[MissionRole(user.role)]
    except ValueError:  # an unknown role or power holds nothing
        return False


def roles_with(power: Power) -> list[str]:
    """The Mission roles that hold `power` (to find the people who do: `User.role.in_(roles_with(...))`)."""
    return [role.value for role, powers in POWERS.items() if power in powers]
