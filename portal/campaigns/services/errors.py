"""What a volunteer (or a leader, or staff) may be refused in the campaigns, in her language."""
from flask_babel import lazy_gettext as _l

from portal.web import DomainError


class ShiftFull(DomainError):
    message = _l("This shift is full. You can join its waiting list.")


class ShiftClosed(DomainError):
    message = _l("This shift is over or cancelled: nobody can sign up for it any more.")


class AlreadySignedUp(DomainError):
    message = _l("This person is already signed up for this shift.")


class AlreadyWaiting(DomainError):
    message = _l("This person is already on the waiting list of this shift.")


class NotFullYet(DomainError):
    message = _l("This shift still has places: sign up instead of waiting.")


class OfferGone(DomainError):
    message = _l("This offer has expired or was already answered.")


class ShiftStarted(DomainError):
    message = _l("This shift has already started; the place can no longer be given back.")


class NotEndorsed(DomainError):
    message = _l("This campaign is for members of the organisations that support it.")


class ShiftOver(DomainError):
    message = _l("This shift is over or cancelled; it can no longer be changed.")


class BelowTaken(DomainError):
    message = _l("More places are already taken than that. Ask people to give theirs back first, or keep more "
                 "places.")


class NoShiftChosen(DomainError):
    message = _l("Choose at least one shift.")
