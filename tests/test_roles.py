"""Who may do what on the Mission's side is written in one place (portal/accounts/roles.py)."""
import re
from pathlib import Path

import pytest

from portal.accounts.models import MissionRole
from portal.accounts.roles import POWERS, Power, can
from tests.factories import StaffFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent


def test_every_mission_role_has_its_powers_written_down():
    assert set(POWERS) == set(MissionRole)


DESK = {Power.STAFF_PAGES, Power.SEE_ORGANISATIONS, Power.DECIDE_ORGANISATIONS, Power.RUN_TRAININGS,
        Power.RUN_CAMPAIGNS, Power.MANAGE_MATERIALS, Power.REFERRAL_QUEUE, Power.MANAGE_DIRECTORY,
        Power.HELP_INTO_ACCOUNT}
# Where the roles differ: a case's content is for caseworkers (their own cases) and supervisors (every case);
# an administrator manages accounts and reads no case.
CASES = {
    MissionRole.STAFF: set(),
    MissionRole.CASEWORKER: {Power.WORK_ASSIGNED_CASES},
    MissionRole.SUPERVISOR: {Power.WORK_ASSIGNED_CASES, Power.WORK_EVERY_CASE},
    MissionRole.ADMIN: {Power.MANAGE_ACCOUNTS, Power.RESEND_MESSAGES},
}


@pytest.mark.parametrize("role", list(MissionRole))
def test_each_mission_role_holds_its_powers_and_no_other(app, role):
    person = StaffFactory(role=role)
    assert {power for power in Power if can(person, power)} == DESK | CASES[role]


def test_no_power_without_a_mission_role(app):
    member = UserFactory()
    assert not any(can(member, power) for power in Power)
    assert not can(StaffFactory(role="someone-else"), Power.STAFF_PAGES)
    assert not can(None, Power.STAFF_PAGES)


def test_no_code_asks_for_a_mission_role_but_the_table():
    """A check written as `user.is_mission` or on `user.role` beside the table would be a second place. (The
    CLI and the demo give roles; memberships have roles of their own, `m.role`.)"""
    found = []
    for path in [*ROOT.glob("portal/**/*.py"), *ROOT.glob("templates/**/*.html")]:
        if path.name in ("roles.py", "models.py") and path.parent.name == "accounts":
            continue
        text = path.read_text()
        for pattern in (r"\.is_mission\b", r"\b(user|staff|actor|person|current_user)\.role\b"):
            if re.search(pattern, text):
                found.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert found == [], found
