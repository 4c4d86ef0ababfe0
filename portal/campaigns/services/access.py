"""Who may do what in the campaigns (the Mission's side asks portal/accounts/roles.py; a place held for
someone asks the rule every domain shares, in portal/organisations/access.py)."""
from __future__ import annotations

from sqlalchemy import select

from portal.accounts.roles import Power, can
from portal.campaigns.models import Campaign, Endorsement, Shift
from portal.extensions import db
from portal.memo import remembered
from portal.organisations.access import is_active_member, may_act_on, may_take_for
from portal.organisations.models import Organisation, OrgState
from portal.organisations.services import memberships_for


def is_staff(user) -> bool:
    """Mission staff who run the campaigns."""
    return can(user, Power.RUN_CAMPAIGNS)


def endorsers(campaign_id: int) -> list[int]:
    """The organisations that endorse the campaign (asked once per request)."""
    return remembered(("endorsers", campaign_id), lambda: list(db.session.scalars(
        select(Endorsement.organisation_id).where(Endorsement.campaign_id == campaign_id))))


def may_join(person_id: int, campaign: Campaign) -> bool:
    """A public campaign is for everyone; another, for accepted members of the organisations endorsing it."""
    return campaign.public or any(is_active_member(person_id, org_id) for org_id in endorsers(campaign.id))


def leads_an_organisation(user) -> bool:
    """A leader or co-leader of an approved organisation: she sees every campaign, to choose what her
    organisation supports (asked once per request)."""
    return remembered(("leads", user.id), lambda: any(
        m.is_manager and m.organisation.state == OrgState.APPROVED for m in memberships_for(user)))


def can_see_campaign(user, campaign: Campaign) -> bool:
    """A public campaign, everyone; another, members of the organisations that support it, leaders of
    approved organisations (who choose to support it) and staff. Its SQL twin, for lists, is
    queries.visible_campaigns."""
    if campaign.public or is_staff(user):
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return may_join(user.id, campaign) or leads_an_organisation(user)


def can_sign_up_for(actor, person_id: int, org: Organisation | None) -> bool:
    """Herself; her organisation's leader or co-leader for an accepted member; staff."""
    return may_take_for(actor, person_id, org, staff=is_staff(actor))


def can_act_on(actor, person_id: int, org_id: int | None) -> bool:
    """Her own place; staff; her organisation's leader or co-leader while she is an accepted member."""
    return may_act_on(actor, person_id, org_id, staff=is_staff(actor))


def can_lead(user, shift: Shift) -> bool:
    """Check people in, add walk-ins, write hours: the shift's lead (a volunteer named by staff) and staff."""
    if not getattr(user, "is_authenticated", False):
        return False
    return is_staff(user) or (shift.lead_id is not None and shift.lead_id == user.id)
