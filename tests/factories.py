"""Test data, made through the ORM in the test's database."""
from datetime import datetime, timedelta, timezone

import factory
from factory.alchemy import SQLAlchemyModelFactory

from portal.accounts.models import User
from portal.clock import utcnow
from portal.extensions import db
from portal.organisations.models import MemberRole, Membership, MemberState, Organisation, OrgState
from portal.trainings.models import Course, CourseText, TrainingSession
from portal.trainings.services import reminder_time

PASSWORD = "correct horse battery"
_HASHES: dict = {}


def password_hash():
    from portal.accounts.services import hasher
    if "h" not in _HASHES:
        _HASHES["h"] = hasher().hash(PASSWORD)
    return _HASHES["h"]


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class UserFactory(Base):
    class Meta:
        model = User

    name = factory.Sequence(lambda n: f"Person {n}")
    phone = factory.Sequence(lambda n: f"+852{5 + n // 10000 % 2}123{n % 10000:04d}")
    email = None
    locale = "en"
    password_hash = factory.LazyFunction(password_hash)
    # People made by the factory have confirmed their number (tests of an unconfirmed one say so).
    phone_confirmed_at = factory.LazyAttribute(lambda o: utcnow() if o.phone else None)


class StaffFactory(UserFactory):
    role = "staff"
    email = factory.Sequence(lambda n: f"staff{n}@example.org")


class OrganisationFactory(Base):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    community = "filipino"
    languages = "fil,en"
    district = "central_western"
    meeting_place = "Chater Garden"
    contact = "+852 5123 0000"
    membership_size = 40
    state = OrgState.APPROVED
    join_code = factory.Sequence(lambda n: f"CODE{n:04d}")
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def leader(obj, create, extracted, **kwargs):
        db.session.add(Membership(organisation=obj, user=obj.created_by, role=MemberRole.LEADER,
                                  state=MemberState.ACTIVE))
        db.session.commit()


class MembershipFactory(Base):
    class Meta:
        model = Membership

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(UserFactory)
    role = MemberRole.MEMBER
    state = MemberState.ACTIVE


def future(days=7, hour=10):
    """A moment `days` ahead at `hour` o'clock Hong Kong time, as UTC."""
    hk = timezone(timedelta(hours=8))
    d = datetime.now(hk).replace(hour=hour, minute=0, second=0, microsecond=0) + timedelta(days=days)
    return d.astimezone(timezone.utc)


class CourseFactory(Base):
    class Meta:
        model = Course

    programme = "leap"
    language = "fil"

    @factory.post_generation
    def title(obj, create, extracted, **kwargs):
        obj.texts.append(CourseText(locale="en", title=extracted or f"Labour rights {obj.id}",
                                    description="What the law says about your contract."))
        db.session.commit()


class SessionFactory(Base):
    class Meta:
        model = TrainingSession

    course = factory.SubFactory(CourseFactory)
    starts_at = factory.LazyFunction(lambda: future(7))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=3))
    deadline = factory.LazyAttribute(lambda o: o.starts_at - timedelta(days=2))
    remind_at = factory.LazyAttribute(lambda o: reminder_time(o.starts_at))
    venue = "Mission office, St John's Cathedral, Central"
    capacity = 10
    taken = 0


# --- materials (DRID) ---

from portal.trainings.materials.models import Material, MaterialVersion  # noqa: E402

# The smallest beginnings that `filetype` tells apart by content.
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


class MaterialFactory(Base):
    class Meta:
        model = Material

    title = factory.Sequence(lambda n: f"Gabay {n}")
    summary = ""
    programme = "leap"
    published = True


class MaterialVersionFactory(Base):
    """A version with a text only; files go through the service (they need a stored file)."""

    class Meta:
        model = MaterialVersion

    material = factory.SubFactory(MaterialFactory)
    language = "en"
    title = ""
    text = "Mga karapatan ng manggagawa."


# --- campaigns ---

from portal.campaigns.models import Campaign, CampaignText, Shift  # noqa: E402
from portal.campaigns.services import reminder_time as shift_reminder_time  # noqa: E402


class CampaignFactory(Base):
    class Meta:
        model = Campaign

    code = factory.Sequence(lambda n: f"camp{n:04d}")
    public = True
    starts_on = factory.LazyFunction(lambda: future(1).date())
    ends_on = factory.LazyFunction(lambda: future(60).date())

    @factory.post_generation
    def title(obj, create, extracted, **kwargs):
        obj.texts.append(CampaignText(locale="en", title=extracted or f"A full rest day {obj.id}",
                                      description="One whole day of rest a week, for every worker."))
        db.session.commit()


class ShiftFactory(Base):
    class Meta:
        model = Shift

    campaign = factory.SubFactory(CampaignFactory)
    activity = "leafleting"
    role = "leafleter"
    language = "fil"
    place = "Chater Road, Central"
    map_url = "https://www.openstreetmap.org/#map=18/22.2812/114.1588"
    starts_at = factory.LazyFunction(lambda: future(7))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=3))
    remind_at = factory.LazyAttribute(lambda o: shift_reminder_time(o.starts_at))
    capacity = 8
    taken = 0
    bring = "water,umbrella"
