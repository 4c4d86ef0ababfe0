"""Campaigns and their shifts (staff): made, changed (everyone signed up is told), cancelled; reminders."""
from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta, timezone

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from portal.audit import record
from portal.campaigns.models import (
    ACTIVITIES, BRING, SHIFT_LANGUAGES, SHIFT_ROLES, Campaign, CampaignState, CampaignText, Shift, ShiftState,
    Signup,
)
from portal.campaigns.services.access import is_staff
from portal.campaigns.services.errors import BelowTaken, ShiftOver
from portal.campaigns.services.places import SHIFT_PLACES
from portal.campaigns.services.texts import bring, when, where
from portal.capacity import PlaceState, close, concerned, fill, lock
from portal.clock import HK, aware, utcnow
from portal.extensions import db
from portal.languages import LANGUAGES
from portal.notifications.services import queue
from portal.web import DomainError, NotAllowed


def _texts(campaign: Campaign, texts: dict) -> None:
    """Title and description by language (English required); a language left empty is removed."""
    if not (texts.get("en") or ("", ""))[0].strip():
        raise DomainError(_l("Write the title in English at least."))
    have = {t.locale: t for t in campaign.texts}
    for loc in LANGUAGES:
        title, description = texts.get(loc) or ("", "")
        title, description = (title or "").strip(), (description or "").strip()
        if title:
            t = have.get(loc) or CampaignText(locale=loc)
            t.title, t.description = title, description
            if loc not in have:
                campaign.texts.append(t)
        elif loc in have:
            campaign.texts.remove(have[loc])


def _check_dates(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise DomainError(_l("The last day must be on or after the first."))


def create_campaign(staff, texts: dict, starts_on: date, ends_on: date, public: bool = True) -> Campaign:
    if not is_staff(staff):
        raise NotAllowed()
    _check_dates(starts_on, ends_on)
    campaign = Campaign(code=secrets.token_urlsafe(6), public=public, starts_on=starts_on, ends_on=ends_on,
                        created_by_id=staff.id)
    _texts(campaign, texts)
    db.session.add(campaign)
    db.session.flush()
    record(staff, "campaign.created", campaign, {"public": public})
    db.session.commit()
    return campaign


def update_campaign(staff, campaign: Campaign, texts: dict, starts_on: date, ends_on: date, public: bool) -> Campaign:
    if not is_staff(staff):
        raise NotAllowed()
    if not campaign.is_open:
        raise ShiftOver()
    _check_dates(starts_on, ends_on)
    _texts(campaign, texts)
    campaign.starts_on, campaign.ends_on, campaign.public = starts_on, ends_on, public
    record(staff, "campaign.updated", campaign, {"public": public})
    db.session.commit()
    return campaign


def cancel_campaign(staff, campaign: Campaign) -> int:
    """Cancel a campaign and every shift of it still to come: everyone signed up or waiting is told."""
    if not is_staff(staff):
        raise NotAllowed()
    shift_ids = db.session.scalars(select(Shift.id).where(Shift.campaign_id == campaign.id,
                                                          Shift.state == ShiftState.SCHEDULED,
                                                          Shift.starts_at > utcnow())).all()
    told = sum(cancel_shift(staff, db.session.get(Shift, sid)) for sid in shift_ids)
    campaign = db.session.get(Campaign, campaign.id)
    campaign.move(CampaignState.CANCELLED)
    record(staff, "campaign.cancelled", campaign, {"told": told, "shifts": len(shift_ids)})
    db.session.commit()
    return told


def _check_shift(activity, role, language, starts_at, ends_at, map_url, bring_keys, lead) -> None:
    if activity not in ACTIVITIES or role not in SHIFT_ROLES or language not in SHIFT_LANGUAGES:
        raise DomainError(_l("Choose from the list."))
    if any(k not in BRING for k in bring_keys):
        raise DomainError(_l("Choose from the list."))
    if ends_at <= starts_at:
        raise DomainError(_l("The end must be after the start."))
    if starts_at <= utcnow():
        raise DomainError(_l("The start must be in the future."))
    if map_url and not map_url.startswith("https://"):
        raise DomainError(_l("A map link must begin with https://"))
    if lead is not None and not lead.is_enabled:
        raise DomainError(_l("This person cannot lead a shift: the account is closed."))


def create_shift(staff, campaign: Campaign, *, activity: str, role: str, language: str, place: str,
                 starts_at: datetime, ends_at: datetime, capacity: int, map_url: str = "", bring_keys=(),
                 bring_note: str = "", lead=None) -> Shift:
    if not is_staff(staff):
        raise NotAllowed()
    if not campaign.is_open:
        raise ShiftOver()
    _check_shift(activity, role, language, starts_at, ends_at, map_url, bring_keys, lead)
    shift = Shift(campaign_id=campaign.id, activity=activity, role=role, language=language, place=place.strip(),
                  map_url=map_url.strip(), starts_at=starts_at, ends_at=ends_at, capacity=capacity, taken=0,
                  bring=",".join(bring_keys), bring_note=(bring_note or "").strip(),
                  lead_id=lead.id if lead else None, remind_at=reminder_time(starts_at))
    db.session.add(shift)
    db.session.flush()
    record(staff, "shift.created", shift, {"campaign_id": campaign.id, "capacity": capacity})
    db.session.commit()
    return shift


def update_shift(staff, shift: Shift, *, activity: str, role: str, language: str, place: str,
                 starts_at: datetime, ends_at: datetime, capacity: int, map_url: str = "", bring_keys=(),
                 bring_note: str = "", lead=None) -> int:
    """Change a shift. Everyone signed up, or holding an offer, is told of a new time, place or thing to
    bring; more places go at once to the waiting list; fewer than are taken is refused. Returns how many
    were told."""
    if not is_staff(staff):
        raise NotAllowed()
    shift = lock(SHIFT_PLACES, shift.id)
    if not shift.can_change:
        raise ShiftOver()
    _check_shift(activity, role, language, starts_at, ends_at, map_url, bring_keys, lead)
    if capacity < shift.taken:
        raise BelowTaken()
    new = dict(activity=activity, role=role, language=language, place=place.strip(), map_url=map_url.strip(),
               starts_at=starts_at, ends_at=ends_at, capacity=capacity, bring=",".join(bring_keys),
               bring_note=(bring_note or "").strip(), lead_id=lead.id if lead else None)
    changed = sorted(k for k, v in new.items() if getattr(shift, k) != v)
    if not changed:
        return 0
    moved = bool({"starts_at", "ends_at"} & set(changed))
    worth_telling = moved or bool({"place", "map_url", "bring", "bring_note"} & set(changed))
    for k, v in new.items():
        setattr(shift, k, v)
    shift.remind_at = reminder_time(starts_at)
    if worth_telling:
        shift.version += 1
    db.session.flush()
    fill(SHIFT_PLACES, shift)
    told = 0
    if worth_telling:
        for person in concerned(SHIFT_PLACES, shift):
            queue(person, "shift_changed", when=when(shift.starts_at), where=where(shift), bring=bring(shift))
            told += 1
        if moved:
            db.session.execute(update(Signup).where(Signup.shift_id == shift.id).values(reminded_at=None))
    record(staff, "shift.updated", shift, {"changed": changed, "told": told})
    db.session.commit()
    return told


def cancel_shift(staff, shift: Shift) -> int:
    """Cancel a shift: everyone signed up or waiting is told. Returns how many were told."""
    if not is_staff(staff):
        raise NotAllowed()
    shift = lock(SHIFT_PLACES, shift.id)
    shift.move(ShiftState.CANCELLED)
    shift.version += 1
    holders, entries = close(SHIFT_PLACES, shift)
    for person in [h.user for h in holders] + [e.user for e in entries]:
        queue(person, "shift_cancelled", when=when(shift.starts_at), where=where(shift))
    told = len(holders) + len(entries)
    record(staff, "shift.cancelled", shift, {"told": told})
    db.session.commit()
    return told


def reminder_time(starts_at: datetime) -> datetime:
    """The day before, at 10:00 in Hong Kong (a Saturday for a Sunday shift)."""
    local = aware(starts_at).astimezone(HK)
    return datetime.combine(local.date() - timedelta(days=1), time(10), HK).astimezone(timezone.utc)


def send_reminders(limit: int = 500) -> int:
    """Remind everyone signed up whose shift's reminder time has come, once; not someone who signed up after
    that time (her confirmation came just before)."""
    now = utcnow()
    due = db.session.scalars(select(Signup).join(Shift, Signup.shift_id == Shift.id).where(
        Shift.state == ShiftState.SCHEDULED, Shift.remind_at <= now, Shift.starts_at > now,
        Signup.state == PlaceState.BOOKED, Signup.reminded_at.is_(None))
        .order_by(Signup.shift_id, Signup.id).limit(limit)).all()
    sent: dict[int, int] = {}
    for s in due:
        shift = s.shift
        if s.created_at < shift.remind_at and queue(s.user, "shift_reminder", when=when(shift.starts_at),
                                                    where=where(shift), bring=bring(shift)) is not None:
            sent[shift.id] = sent.get(shift.id, 0) + 1
        s.reminded_at = now
    for shift_id, n in sent.items():
        record(None, "shift.reminded", db.session.get(Shift, shift_id), {"told": n})
    db.session.commit()
    return sum(sent.values())


def reminders_job() -> str | None:
    n = send_reminders()
    return f"Campaigns: {n} reminders written to the outbox." if n else None
