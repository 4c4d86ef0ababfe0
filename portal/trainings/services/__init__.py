"""ETOC trainings: courses, sessions, booking that never oversells, the waiting list with offers,
cancellation, attendance, outreach. Every change is one transaction with its audit and outbox rows.

One module a subject; seats are taken, freed and offered through portal/capacity.py (`places.SEATS`).
Callers use `from portal.trainings import services` and the names below."""
from portal.trainings.services.errors import (  # noqa: F401
    AlreadyBooked, AlreadyWaiting, BelowTaken, BookingClosed, ForAnotherOrganisation, NotFullYet, NotSundays,
    OfferGone, OrgCapReached, PrerequisiteLoop, PrerequisiteMissing, SessionFull, SessionOver, StateChanged, TimeClash,
    TooLateToCancel,
)
from portal.trainings.services.access import (  # noqa: F401
    can_act_on, can_book_for, can_see_session, is_staff, may_attend,
)
from portal.trainings.services.courses import (  # noqa: F401
    create_course, update_course,
)
from portal.trainings.services.sessions import (  # noqa: F401
    cancel_session, check_times, create_session, reminder_time, reminders_job, send_reminders, update_session,
)
from portal.trainings.services.booking import (  # noqa: F401
    add_walk_in, book, book_many, cancel_booking, mark_attendance, undo_cancel,
)
from portal.trainings.services.waitlist import (  # noqa: F401
    accept_offer, apply_expired_offers, expire_offers_job, join_waitlist, leave_waitlist, position,
)
from portal.trainings.services.outreach import (  # noqa: F401
    accept_outreach, can_request_outreach, decline_outreach, request_outreach, withdraw_outreach,
)
