"""Who may do what on the Mission's side: the one table of powers of each Mission role.

Services ask `can(user, Power.X)`; templates ask the same through the `can` global. A new power (the
referrals' triage, reading a case, reports) is added here with the roles that hold it, and nowhere else.
Today every Mission role holds the powers of the organisations, trainings and materials work: the roles
differ only where referrals begin (caseworker: her assigned cases; supervisor: all cases).
"""
from __future__ import annotations

from enum import StrEnum

from portal.accounts.models import MissionRole


class Power(StrEnum):
    STAFF_PAGES = "staff_pages"                    # the staff desk under /staff/
    SEE_ORGANISATIONS = "see_organisations"        # every organisation's page, its members and contact
    DECIDE_ORGANISATIONS = "decide_organisations"  # approve or not, a new name
    RUN_TRAININGS = "run_trainings"                # courses, sessions, attendance, outreach; book anyone
    MANAGE_MATERIALS = "manage_materials"          # the DRID library


_EVERY_DESK = frozenset({Power.STAFF_PAGES, Power.SEE_ORGANISATIONS, Power.DECIDE_ORGANISATIONS,
                         Power.RUN_TRAININGS, Power.MANAGE_MATERIALS})

POWERS: dict[MissionRole, frozenset[Power]] = {
    MissionRole.STAFF: _EVERY_DESK,
    MissionRole.CASEWORKER: _EVERY_DESK,
    MissionRole.SUPERVISOR: _EVERY_DESK,
    MissionRole.ADMIN: _EVERY_DESK,
}


def can(user, power: Power | str) -> bool:
    """Whether this person's Mission role holds `power` (never, for anyone without a Mission role)."""
    if not getattr(user, "is_authenticated", False) or not user.role:
        return False
    try:
        return Power(power) in POWERS[MissionRole(user.role)]
    except ValueError:  # an unknown role or power holds nothing
        return False
