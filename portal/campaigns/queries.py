"""Reading campaigns: open shifts Sundays first (portal/catalogue.py, as the trainings' sessions), what a
volunteer holds, a campaign's shifts. Queries per page stay constant whatever the number of rows."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import lazyload, selectinload

from portal import capacity
from portal.accounts.models import User
from portal.campaigns.models import (
    Campaign, CampaignState, CampaignText, Endorsement, MediaConsent, Shift, ShiftState, ShiftWait, Signup,
    best_text,
)
from portal.campaigns.services.access import is_staff, leads_an_organisation
from portal.capacity import HOLDS_PLACE, PlaceState, WaitState
from portal.catalogue import on_day, sundays_first
from portal.clock import aware, utcnow
from portal.extensions import db
from portal.campaigns.services.places import SHIFT_PLACES
from portal.hooks import SlicedPagination
from portal.organisations.models import Membership, MemberState
from portal.spreadsheet import csv_text


def visible_campaigns(user):
    """Open campaigns this person may see: public ones; others, to members of the organisations endorsing
    them, leaders of approved organisations and staff (the SQL twin of services.can_see_campaign)."""
    query = select(Campaign).where(Campaign.state == CampaignState.OPEN)
    if is_staff(user):
        return query
    if getattr(user, "is_authenticated", False):
        if leads_an_organisation(user):
            return query
        mine = select(Membership.organisation_id).where(Membership.user_id == user.id,
                                                        Membership.state == MemberState.ACTIVE)
        endorsed = select(Endorsement.campaign_id).where(Endorsement.organisation_id.in_(mine))
        return query.where(or_(Campaign.public.is_(True), Campaign.id.in_(endorsed)))
    return query.where(Campaign.public.is_(True))


def open_shifts(user, campaign_id=None, day=None, role="", language=""):
    """Shifts still to come of the campaigns this person may see, filtered. No join: the campaign's
    condition is a subquery, so that the database walks the shifts in the order of (state, starts_at)."""
    campaigns = visible_campaigns(user).with_only_columns(Campaign.id)
    query = select(Shift).where(Shift.state == ShiftState.SCHEDULED, Shift.starts_at > utcnow(),
                                Shift.campaign_id.in_(campaigns))
    if campaign_id:
        query = query.where(Shift.campaign_id == campaign_id)
    if day is not None:
        query = query.where(on_day(Shift, day))
    if role:
        query = query.where(Shift.role == role)
    if language:
        query = query.where(Shift.language == language)
    return query


# A card needs the campaign's title only (titles()), not the campaign and its texts as objects.
CARD_OPTIONS = (lazyload(Shift.campaign),)


def catalogue(user, **filters):
    return sundays_first(open_shifts(user, **filters), Shift, CARD_OPTIONS)


def titles(campaign_ids, locale: str) -> dict[int, str]:
    """Each campaign's title in the reader's language, else English, else any."""
    if not campaign_ids:
        return {}
    by: dict[int, dict[str, str]] = {}
    for cid, loc, title in db.session.execute(select(CampaignText.campaign_id, CampaignText.locale,
                                                     CampaignText.title)
                                              .where(CampaignText.campaign_id.in_(set(campaign_ids)))
                                              .order_by(CampaignText.id)):
        by.setdefault(cid, {})[loc] = title
    return {cid: best_text(texts, locale) for cid, texts in by.items()}


def campaign_choices(user, locale: str, limit: int = 50) -> list[tuple[int, str]]:
    """The open campaigns she may see, for the filter: soonest first."""
    ids = db.session.scalars(visible_campaigns(user).with_only_columns(Campaign.id)
                             .order_by(Campaign.starts_on, Campaign.id).limit(limit)).all()
    names = titles(ids, locale)
    return [(i, names.get(i, "")) for i in ids]


def waiting_counts(ids: list[int]) -> dict[int, int]:
    return capacity.waiting_counts(SHIFT_PLACES, ids)


def holdings(user, ids: list[int]) -> dict[int, str]:
    """What the person holds in each listed row: "booked", "offered" or "waiting"."""
    return capacity.holdings(SHIFT_PLACES, user.id if getattr(user, "is_authenticated", False) else None, ids)


def campaign_shifts(campaign_id: int, limit: int = 200) -> list[Shift]:
    """A campaign's shifts, those to come first (by time), then those past (latest first)."""
    now = utcnow()
    base = select(Shift).where(Shift.campaign_id == campaign_id).options(lazyload(Shift.campaign))
    coming = db.session.scalars(base.where(Shift.starts_at > now).order_by(Shift.starts_at, Shift.id)
                                .limit(limit)).all()
    past = db.session.scalars(base.where(Shift.starts_at <= now).order_by(Shift.starts_at.desc(), Shift.id)
                              .limit(20)).all()
    return list(coming) + list(past)


def endorsements(campaign_id: int) -> list[Endorsement]:
    return db.session.scalars(select(Endorsement).where(Endorsement.campaign_id == campaign_id)
                              .order_by(Endorsement.created_at, Endorsement.id)).all()


def my_signups(user):
    """Her sign-ups, those to come first (soonest first), then past and given back (latest first)."""
    rows = db.session.scalars(select(Signup).join(Shift, Signup.shift_id == Shift.id)
                              .where(Signup.user_id == user.id)
                              .options(selectinload(Signup.shift).selectinload(Shift.campaign))
                              .order_by(Shift.starts_at.desc()).limit(200)).unique().all()
    now = utcnow()
    coming = sorted([s for s in rows if s.state == PlaceState.BOOKED and s.shift.starts_at > now],
                    key=lambda s: s.shift.starts_at)
    return coming, [s for s in rows if s not in coming]


def org_lines(org_id: int):
    """Her organisation's accepted members on shifts to come through it, and in line for them with their
    numbers, for their leader (capacity.org_lines, as the trainings')."""
    members = select(Membership.user_id).where(Membership.organisation_id == org_id,
                                               Membership.state == MemberState.ACTIVE)
    return capacity.org_lines(SHIFT_PLACES, org_id, members, options=lambda model: [selectinload(model.shift)])


def my_waiting(user):
    return db.session.scalars(select(ShiftWait).where(
        ShiftWait.user_id == user.id, ShiftWait.state.in_([WaitState.WAITING, WaitState.OFFERED]))
        .order_by(ShiftWait.joined_at)).unique().all()


def check_in_list(shift_id: int):
    return db.session.scalars(select(Signup).where(
        Signup.shift_id == shift_id, Signup.state.in_(HOLDS_PLACE)).order_by(Signup.id)).unique().all()


# --- hours ---

def hours_of(user_id: int) -> list[Signup]:
    """Her shifts where she came, latest first: the hours counted once staff approve them."""
    return db.session.scalars(select(Signup).join(Shift, Signup.shift_id == Shift.id).where(
        Signup.user_id == user_id, Signup.state == PlaceState.ATTENDED)
        .options(selectinload(Signup.shift).selectinload(Shift.campaign))
        .order_by(Shift.starts_at.desc()).limit(500)).unique().all()


def org_hours(org_id: int) -> dict:
    """An organisation's totals: approved hours of its accepted members, and how many shifts of theirs wait
    for approval."""
    members = select(Membership.user_id).where(Membership.organisation_id == org_id,
                                               Membership.state == MemberState.ACTIVE)
    approved = db.session.execute(select(func.coalesce(func.sum(Signup.minutes), 0), func.count(
        func.distinct(Signup.user_id))).where(Signup.user_id.in_(members), Signup.state == PlaceState.ATTENDED,
                                              Signup.approved_at.is_not(None))).one()
    waiting = db.session.scalar(select(func.count()).select_from(Signup).where(
        Signup.user_id.in_(members), Signup.state == PlaceState.ATTENDED, Signup.approved_at.is_(None)))
    return {"minutes": int(approved[0]), "people": int(approved[1]), "waiting": int(waiting)}


class PersonHours:
    """Approved hours per person (staff), most first: paged by portal.web.paginate."""

    def paginate(self, page: int, per_page: int):
        return SlicedPagination(page=page, per_page=per_page, error_out=False, fetch=self._fetch)

    def _fetch(self, offset: int, limit: int):
        approved = (Signup.state == PlaceState.ATTENDED) & Signup.approved_at.is_not(None)
        total = db.session.scalar(select(func.count(func.distinct(Signup.user_id))).where(approved))
        rows = db.session.execute(select(User.id, User.name, func.sum(Signup.minutes).label("minutes"),
                                         func.count().label("shifts"))
                                  .join(User, User.id == Signup.user_id).where(approved)
                                  .group_by(User.id, User.name).order_by(func.sum(Signup.minutes).desc(), User.id)
                                  .offset(offset).limit(limit)).all()
        return rows, total


def all_hours_query() -> PersonHours:
    return PersonHours()


def hours_csv() -> str:
    """Every approved shift of every volunteer, for staff: who, which campaign, when, where, what, how long."""
    rows = db.session.execute(
        select(User.name, CampaignText.title, Shift.starts_at, Shift.place, Shift.role, Signup.minutes,
               Signup.approved_at)
        .join(User, User.id == Signup.user_id).join(Shift, Shift.id == Signup.shift_id)
        .join(CampaignText, (CampaignText.campaign_id == Shift.campaign_id) & (CampaignText.locale == "en"))
        .where(Signup.state == PlaceState.ATTENDED, Signup.approved_at.is_not(None))
        .order_by(Shift.starts_at, Signup.id))
    return csv_text(["name", "campaign", "starts_at", "place", "role", "hours", "approved_at"],
                    ((name, title, aware(starts).isoformat(), place, role, round((minutes or 0) / 60, 2),
                      aware(approved).isoformat()) for name, title, starts, place, role, minutes, approved in rows))


def led_shifts(user_id: int) -> list[Shift]:
    """The shifts she leads, from yesterday on (check-in and hours are written on the day or after)."""
    return db.session.scalars(select(Shift).where(Shift.lead_id == user_id, Shift.state == ShiftState.SCHEDULED,
                                                  Shift.starts_at > utcnow() - timedelta(days=1))
                              .order_by(Shift.starts_at).limit(20)).all()


def coming(campaign_id: int) -> tuple[int, list[str]]:
    """Who is coming, as the public pages may show it: how many volunteers hold a place in a shift to come,
    and the names they let be shown (her own where she allowed it, else the name she chose; the others are
    only counted). An employer may read these pages: a real name never shows without her consent."""
    people = select(Signup.user_id).join(Shift, Shift.id == Signup.shift_id).where(
        Shift.campaign_id == campaign_id, Shift.state == ShiftState.SCHEDULED, Shift.starts_at > utcnow(),
        Signup.state == PlaceState.BOOKED).distinct()
    total = db.session.scalar(select(func.count()).select_from(people.subquery()))
    shown = db.session.execute(select(User.name, MediaConsent.named, MediaConsent.pseudonym)
                               .join(MediaConsent, MediaConsent.user_id == User.id)
                               .where(MediaConsent.campaign_id == campaign_id, User.id.in_(people),
                                      MediaConsent.named.is_(True) | (MediaConsent.pseudonym != ""))
                               .order_by(MediaConsent.id).limit(100)).all()
    return int(total or 0), [name if named else pseudonym for name, named, pseudonym in shown]


def media_consents(campaign_id: int, user_ids: list[int]) -> dict[int, MediaConsent]:
    if not user_ids:
        return {}
    return {c.user_id: c for c in db.session.scalars(select(MediaConsent).where(
        MediaConsent.campaign_id == campaign_id, MediaConsent.user_id.in_(user_ids)))}


def holds_in_campaign(user, campaign_id: int) -> bool:
    """She holds (or held) a place in one of the campaign's shifts: she may say what may be shown of her."""
    if not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(select(Signup.id).join(Shift, Shift.id == Signup.shift_id).where(
        Shift.campaign_id == campaign_id, Signup.user_id == user.id, Signup.state.in_(HOLDS_PLACE)).limit(1)) \
        is not None
