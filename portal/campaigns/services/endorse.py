"""Organisations stand behind a campaign (their leader decides, and whether their name is shown publicly);
each volunteer says what the public pages may show of her (photos, her name, or a name she chose)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.audit import record
from portal.campaigns.models import Campaign, Endorsement, MediaConsent
from portal.campaigns.services.access import is_staff
from portal.extensions import db
from portal.organisations.access import is_leader
from portal.organisations.models import Organisation, OrgState
from portal.web import DomainError, NotAllowed

MAX_COMMITTED = 10_000
MAX_PSEUDONYM = 40


class CampaignClosed(DomainError):
    message = _l("This campaign is cancelled.")


def may_endorse(user, org: Organisation) -> bool:
    """Her organisation's leader, for an approved organisation."""
    return org.state == OrgState.APPROVED and is_leader(user, org)


def endorse(actor, campaign: Campaign, org: Organisation, show_name: bool, committed: int) -> Endorsement:
    """The organisation supports the campaign (or changes how): its name shown publicly or not, and how many
    members it commits."""
    if not may_endorse(actor, org):
        raise NotAllowed()
    if not campaign.is_open:
        raise CampaignClosed()
    if not 0 <= committed <= MAX_COMMITTED:
        raise DomainError(_l("Write a number from 0 to %(max)d.", max=MAX_COMMITTED))
    e = db.session.scalar(select(Endorsement).where(Endorsement.campaign_id == campaign.id,
                                                    Endorsement.organisation_id == org.id))
    new = e is None
    if new:
        e = Endorsement(campaign_id=campaign.id, organisation_id=org.id)
        db.session.add(e)
    e.show_name, e.committed, e.endorsed_by_id = bool(show_name), committed, actor.id
    db.session.flush()
    record(actor, "endorsement.made" if new else "endorsement.changed", e,
           {"campaign_id": campaign.id, "organisation_id": org.id, "show_name": e.show_name, "committed": committed})
    db.session.commit()
    return e


def withdraw_endorsement(actor, e: Endorsement) -> None:
    if not (is_staff(actor) or may_endorse(actor, e.organisation)):
        raise NotAllowed()
    record(actor, "endorsement.withdrawn", e, {"campaign_id": e.campaign_id, "organisation_id": e.organisation_id})
    db.session.delete(e)
    db.session.commit()


def set_media_consent(person, campaign: Campaign, photos: bool, named: bool, pseudonym: str) -> MediaConsent:
    """What she lets the campaign's public pages and photos show of her: in photos or not, named or not, and
    the name to show instead of hers (or nothing: she is counted, not named)."""
    pseudonym = " ".join((pseudonym or "").split())
    if len(pseudonym) > MAX_PSEUDONYM:
        raise DomainError(_l("Write at most %(max)d characters.", max=MAX_PSEUDONYM))
    if pseudonym and pseudonym.casefold() == (person.name or "").strip().casefold():
        raise DomainError(_l("Choose a name that is not your own, or tick that your name may be shown."))
    c = db.session.scalar(select(MediaConsent).where(MediaConsent.campaign_id == campaign.id,
                                                     MediaConsent.user_id == person.id))
    if c is None:
        c = MediaConsent(campaign_id=campaign.id, user_id=person.id)
        db.session.add(c)
    c.photos, c.named, c.pseudonym = bool(photos), bool(named), pseudonym
    db.session.flush()
    record(person, "media_consent.set", c, {"campaign_id": campaign.id, "photos": c.photos, "named": c.named,
                                            "pseudonym": bool(pseudonym)})
    db.session.commit()
    return c
