"""The directory: listing, staff changes, HSDS export and import, and a shelter's beds.

The exchange shape follows Open Referral's Human Services Data Specification (HSDS 3): a service with its
organization, languages, phones, schedules, service areas, locations, taxonomy terms and capacities (a
shelter's beds as a `service_capacity` in the unit "bed"). CSV is the same, one column per field.
"""
from __future__ import annotations

import csv
import io
import json
import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from portal import capacity
from portal.accounts.roles import Power, can
from portal.audit import changed, record
from portal.clock import utcnow
from portal.directory.models import BedHold, Service, ServiceKind
from portal.extensions import db
from portal.organisations.models import DISTRICTS, ORG_LANGUAGES
from portal.spreadsheet import cell
from portal.web import DomainError, NotAllowed, contains

FIELDS = ("organization", "name", "kind", "description", "languages", "hours", "district", "address", "phone",
          "email", "url", "eligibility", "published", "capacity")
LIMITS = {"organization": 150, "name": 150, "description": 4000, "hours": 200, "address": 300, "phone": 40,
          "email": 254, "url": 300, "eligibility": 500}


class NoBedLeft(DomainError):
    message = _l("This shelter has no bed free. Choose another, or call it.")


class FewerBedsThanHeld(DomainError):
    message = _l("More beds are held than that. Release a bed first, or write a larger number.")


class AlreadyHoldsABed(DomainError):
    message = _l("This case holds a bed already. It is released when the case closes.")


class BadRecord(DomainError):
    """A service that cannot be saved as it is (the form, or a row of an import)."""


def can_manage(user) -> bool:
    return can(user, Power.MANAGE_DIRECTORY)


def listing(kind: str = "", language: str = "", district: str = "", q: str = "", everything: bool = False):
    """Published services (staff: every one), by organisation and name; the filters are plain columns."""
    stmt = select(Service)
    if not everything:
        stmt = stmt.where(Service.published.is_(True))
    if kind:
        stmt = stmt.where(Service.kind == kind)
    if language:
        stmt = stmt.where(contains(Service.languages, language))
    if district:
        stmt = stmt.where(Service.district == district)
    if q:
        stmt = stmt.where(or_(contains(Service.name, q), contains(Service.organization, q)))
    return stmt.order_by(Service.organization, Service.name, Service.id)


def clean(fields: dict) -> dict:
    """A service's fields checked and tidied, or BadRecord naming the first fault."""
    out = {}
    for name in FIELDS:
        value = fields.get(name)
        if name in LIMITS:
            if value is not None and not isinstance(value, (str, int, float)):
                raise BadRecord(_l("%(field)s: write it as text.", field=name))
            value = (value or "").strip() if isinstance(value, str) or value is None else str(value)
            if len(value) > LIMITS[name]:
                raise BadRecord(_l("%(field)s: at most %(max)d characters.", field=name, max=LIMITS[name]))
        out[name] = value
    if not out["organization"] or not out["name"]:
        raise BadRecord(_l("Each service needs its organisation's name and its own name."))
    if not isinstance(out["kind"], str) or out["kind"] not in set(ServiceKind):
        raise BadRecord(_l("Unknown kind of service: choose shelter, legal aid, hospital, consulate, hotline, union "
                           "or other NGO."))
    languages = out["languages"] or []
    if isinstance(languages, str):
        languages = [c for c in languages.replace(" ", ",").split(",") if c]
    if not isinstance(languages, list) or any(not isinstance(c, str) or c not in ORG_LANGUAGES for c in languages):
        raise BadRecord(_l("Unknown language code."))
    out["languages"] = ",".join(dict.fromkeys(languages))
    district = out["district"] or ""
    if not isinstance(district, str) or (district and district not in DISTRICTS):
        raise BadRecord(_l("Unknown district."))
    out["district"] = district
    if out["url"] and not out["url"].startswith("https://"):
        raise BadRecord(_l("A web address must begin with https://"))
    beds = out["capacity"]
    if beds in ("", None):
        out["capacity"] = None
    else:
        try:
            out["capacity"] = int(beds)
        except (TypeError, ValueError, OverflowError):
            raise BadRecord(_l("Beds: write a number.")) from None
        if not 0 <= out["capacity"] <= 1000 or out["kind"] != ServiceKind.SHELTER:
            raise BadRecord(_l("Beds: a number from 0 to 1000, for a shelter only."))
    shown = out["published"]
    out["published"] = not (shown is False or str(shown).strip().lower() in ("0", "false", "no"))
    return out


def create(user, fields: dict) -> Service:
    if not can_manage(user):
        raise NotAllowed()
    service = Service(**clean(fields), taken=0)
    db.session.add(service)
    db.session.flush()
    record(user, "directory.created", service)
    db.session.commit()
    return service


def update(user, service: Service, fields: dict) -> Service:
    """Changed; a shelter's beds only through the lock, never below the beds referrals hold."""
    if not can_manage(user):
        raise NotAllowed()
    values = clean(fields)
    service = capacity.lock(BEDS, service.id)
    if values["capacity"] is not None and values["capacity"] < service.taken:
        raise FewerBedsThanHeld()
    if values["capacity"] is None and service.taken:
        raise FewerBedsThanHeld()
    for name, value in values.items():
        setattr(service, name, value)
    record(user, "directory.changed", service, {"fields": changed(service, *FIELDS)})
    db.session.commit()
    return service


def delete(user, service: Service) -> None:
    """Unpublished rather than deleted while a referral holds a bed there or names it."""
    if not can_manage(user):
        raise NotAllowed()
    from portal.referrals.models import Referral
    used = service.taken or db.session.scalar(select(Referral.id).where(Referral.partner_id == service.id).limit(1))
    if used:
        service.published = False
        record(user, "directory.unpublished", service)
    else:
        record(user, "directory.deleted", service)
        db.session.delete(service)
    db.session.commit()


# --- HSDS ---

def to_hsds(s: Service) -> dict:
    return {
        "id": str(s.id), "name": s.name, "description": s.description, "url": s.url or None,
        "email": s.email or None, "status": "active" if s.published else "inactive",
        "organization": {"name": s.organization},
        "languages": [{"code": c} for c in s.language_list],
        "phones": [{"number": s.phone}] if s.phone else [],
        "schedules": [{"description": s.hours}] if s.hours else [],
        "service_areas": [{"name": s.district}] if s.district else [],
        "locations": [{"address_1": s.address}] if s.address else [],
        "eligibility_description": s.eligibility or None,
        "taxonomy_terms": [{"code": s.kind}],
        "capacities": [] if s.capacity is None else [{"maximum": s.capacity, "available": s.beds_free,
                                                       "unit": {"name": "bed"}}],
    }


def from_hsds(d: dict) -> dict:
    """The fields of a service from one HSDS record (what to_hsds writes)."""
    if not isinstance(d, dict):
        raise BadRecord(_l("Each record must be an object."))

    def first(key, inner):
        """The first item's field; a value of the wrong type is passed on for clean() to refuse."""
        items = d.get(key) or []
        if not isinstance(items, list):
            return items
        return items[0].get(inner, "") if items and isinstance(items[0], dict) else ""
    caps = d.get("capacities") or []
    return {
        "id": d.get("id"), "organization": (d.get("organization") or {}).get("name", "")
        if isinstance(d.get("organization"), dict) else "",
        "name": d.get("name") or "", "kind": first("taxonomy_terms", "code"),
        "description": d.get("description") or "",
        "languages": [x.get("code", "") if isinstance(x, dict) else x for x in d.get("languages")]
        if isinstance(d.get("languages"), list) else d.get("languages"),
        "hours": first("schedules", "description"), "district": first("service_areas", "name"),
        "address": first("locations", "address_1"), "phone": first("phones", "number"),
        "email": d.get("email") or "", "url": d.get("url") or "", "eligibility": d.get("eligibility_description") or "",
        "published": d.get("status", "active") not in ("inactive", "defunct", "temporarily closed"),
        "capacity": (caps[0] or {}).get("maximum") if isinstance(caps, list) and caps and isinstance(caps[0], dict)
        else None,
    }


CSV_COLUMNS = ("id", *FIELDS)


def export_json() -> str:
    return json.dumps([to_hsds(s) for s in db.session.scalars(listing(everything=True))], ensure_ascii=False,
                      indent=1)


def export_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for s in db.session.scalars(listing(everything=True)):
        writer.writerow([s.id, *(cell(getattr(s, f)) for f in FIELDS)])
    return out.getvalue()


def parse(filename: str, data: bytes) -> list[dict]:
    """The records of an uploaded export: HSDS JSON (a list) or CSV with the export's columns."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRecord(_l("The file is not UTF-8 text.")) from None
    if filename.lower().endswith(".json"):
        try:
            records = json.loads(text)
        except (ValueError, RecursionError):
            raise BadRecord(_l("The file is not valid JSON.")) from None
        if not isinstance(records, list):
            raise BadRecord(_l("The JSON must be a list of services."))
        out = []
        for n, r in enumerate(records, 1):
            try:
                out.append(from_hsds(r))
            except BadRecord as e:
                raise BadRecord(_l("Row %(n)d: %(error)s", n=n, error=e.message)) from None
        return out
    try:
        rows = list(csv.DictReader(io.StringIO(text)))
    except csv.Error:
        raise BadRecord(_l("The CSV cannot be read.")) from None
    if rows and set(CSV_COLUMNS) - set(rows[0]):
        raise BadRecord(_l("The CSV needs the export's columns."))
    return [{k: _uncell(v) for k, v in row.items() if k is not None} for row in rows]


def _uncell(value):
    """A cell as the export wrote it: the quote that kept a formula from running comes off, no other."""
    return value[1:] if isinstance(value, str) and value[:2] in ("'=", "'+", "'-", "'@") else value


def import_records(user, records: list[dict]) -> tuple[int, int]:
    """All or nothing: every record checked first (a fault names its row), then each one created, or updated
    where its id is a service of the directory. Returns (created, updated)."""
    if not can_manage(user):
        raise NotAllowed()
    if not records or len(records) > 5000:
        raise BadRecord(_l("The file holds no services, or more than 5,000."))
    checked = []
    for n, r in enumerate(records, 1):
        try:
            checked.append((str(r.get("id") or "").strip(), clean(r)))
        except BadRecord as e:
            raise BadRecord(_l("Row %(n)d: %(error)s", n=n, error=e.message)) from None
    created = updated = 0
    for n, (ident, values) in enumerate(checked, 1):
        existing = db.session.get(Service, int(ident)) if re.fullmatch(r"[0-9]{1,9}", ident) else None
        if existing is not None:
            if existing.taken and (values["capacity"] is None or values["capacity"] < existing.taken):
                raise BadRecord(_l("Row %(n)d: %(error)s", n=n, error=FewerBedsThanHeld.message))
            for name, value in values.items():
                setattr(existing, name, value)
            updated += 1
        else:
            db.session.add(Service(**values, taken=0))
            created += 1
    try:
        db.session.flush()
    except IntegrityError:  # beds were taken meanwhile, beyond a number of the file (the CHECK refused it)
        db.session.rollback()
        raise BadRecord(_l("Beds were held at a shelter while the file was read. Import it again.")) from None
    record(user, "directory.imported", _Anchor(), {"created": created, "updated": updated})
    db.session.commit()
    return created, updated


class _Anchor:
    """The directory as a whole, for the audit row of an import."""
    __tablename__ = "directory_services"
    id = 0


# --- a shelter's beds ---

def _not_offered(service) -> bool:
    return False  # a freed bed is counted free; there is no waiting list for beds


BEDS = capacity.Places(row=Service, entry=BedHold, parent="service_id", full=NoBedLeft,
                       still_offered=_not_offered, offered=lambda entry, row: None, expired=lambda entry, row: None)


def hold_bed(referral, service_id: int) -> BedHold:
    """A bed for the referral, in the transaction that lock() begins (the caller commits): never more than there
    are. Call before the caller changes anything."""
    service = capacity.lock(BEDS, service_id)
    if service.capacity is None:
        raise NoBedLeft()
    if db.session.scalar(select(BedHold.id).where(BedHold.referral_id == referral.id, BedHold.state == "held")):
        raise AlreadyHoldsABed()
    capacity.take(BEDS, service)
    hold = BedHold(service_id=service.id, referral_id=referral.id)
    db.session.add(hold)
    return hold


def release_beds(referral) -> int:
    """Every bed the referral holds goes back, in the caller's transaction (begun by lock_beds_of())."""
    n = 0
    for hold in db.session.scalars(select(BedHold).where(BedHold.referral_id == referral.id, BedHold.state == "held")):
        service = db.session.get(Service, hold.service_id)
        capacity.free(BEDS, service)
        hold.state, hold.released_at = "released", utcnow()
        n += 1
    return n


def lock_beds_of(referral) -> None:
    """Begin the transaction that may free the referral's bed (it holds one at most; a no-op when none)."""
    service_id = db.session.scalar(select(BedHold.service_id).where(BedHold.referral_id == referral.id,
                                                                    BedHold.state == "held"))
    if service_id is not None:
        capacity.lock(BEDS, service_id)
