"""Campaigns: campaigns and shifts (staff), sign-ups that never overfill (portal/capacity.py, as the
trainings' seats), the waiting list with offers, giving a place back, check-in, hours. Every change is one
transaction with its audit and outbox rows. Callers use `from portal.campaigns import services`."""
from portal.campaigns.services.errors import (  # noqa: F401
    AlreadySignedUp, AlreadyWaiting, BelowTaken, NoShiftChosen, NotEndorsed, NotFullYet, OfferGone, ShiftClosed,
    ShiftFull, ShiftOver, ShiftStarted,
)
from portal.campaigns.services.access import (  # noqa: F401
    can_act_on, can_lead, can_see_campaign, can_sign_up_for, endorsers, is_staff, may_join,
)
from portal.campaigns.services.campaigns import (  # noqa: F401
    cancel_campaign, cancel_shift, create_campaign, create_shift, reminder_time, reminders_job, send_reminders,
    update_campaign, update_shift,
)
from portal.campaigns.services.signup import (  # noqa: F401
    Outcome, accept_offer, apply_expired_offers, cancel_signup, expire_offers_job, join_waitlist, leave_waitlist,
    position, sign_up, sign_up_many, sign_up_members, undo_cancel,
)
from portal.campaigns.services.checkin import (  # noqa: F401
    HoursApproved, NotCame, add_walk_in, approve_hours, check_in, minutes_of, set_hours,
)
from portal.campaigns.services.endorse import (  # noqa: F401
    CampaignClosed, endorse, may_endorse, set_media_consent, withdraw_endorsement,
)
