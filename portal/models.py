"""Every model, imported once so that migrations and the app see the whole schema."""
from portal.accounts.models import CalendarFeed, OneTimeCode, SignIn, User  # noqa: F401
from portal.audit import AuditLog  # noqa: F401
from portal.campaigns.models import (  # noqa: F401
    Campaign, CampaignText, Endorsement, MediaConsent, Shift, ShiftWait, Signup,
)
from portal.directory.models import BedHold, Service  # noqa: F401
from portal.throttle import RateCounter  # noqa: F401
from portal.notifications.models import OutboxMessage  # noqa: F401
from portal.organisations.models import Membership, Organisation  # noqa: F401
from portal.referrals.models import (  # noqa: F401
    AccessRequest, Consent, KeyDate, Note, Question, Referral,
)
from portal.trainings.models import (  # noqa: F401
    Booking, Course, CourseText, OutreachRequest, TrainingSession, WaitlistEntry,
)
from portal.trainings.materials.models import Material, MaterialVersion  # noqa: F401
