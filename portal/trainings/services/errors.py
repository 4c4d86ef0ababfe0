"""What a person may be refused in the trainings, in her language."""
from flask_babel import lazy_gettext as _l

from portal.web import StateChanged  # noqa: F401  (the trainings' word for it too)
from portal.web import DomainError


class SessionFull(DomainError):
    message = _l("This training is full. You can join the waiting list.")


class BookingClosed(DomainError):
    message = _l("Booking for this training is closed.")


class AlreadyBooked(DomainError):
    message = _l("This person already has a place in this training.")


class TimeClash(DomainError):
    message = _l("This person is booked for another training at the same time.")


class OrgCapReached(DomainError):
    message = _l("Your organisation has used all the places it may take in this training.")


class ForAnotherOrganisation(DomainError):
    message = _l("This training is only for another organisation.")


class AlreadyWaiting(DomainError):
    message = _l("This person is already on the waiting list.")


class NotFullYet(DomainError):
    message = _l("There are still places: book one instead of waiting.")


class OfferGone(DomainError):
    message = _l("This offer has expired or was already answered.")


class TooLateToCancel(DomainError):
    message = _l("This training has already started; it can no longer be cancelled.")


class SessionOver(DomainError):
    message = _l("This session is over or cancelled; it can no longer be changed.")


class BelowTaken(DomainError):
    message = _l("More places are already taken than that. Cancel bookings first, or keep more places.")


class PrerequisiteMissing(DomainError):
    message = _l("This training is for people who have done another course first.")


class PrerequisiteLoop(DomainError):
    message = _l("A course cannot require itself, or a course that requires it.")


class NotSundays(DomainError):
    message = _l("Choose Sundays from next week on, each one different.")
