"""The referral's forms: one per step of the leader's form (each may be left half done and finished later:
what the Mission needs is asked for when she sends it), and the Mission's forms on a case."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _p
from wtforms import BooleanField, DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal.accounts import services as accounts
from portal.accounts.forms import REQUIRED, _service_check
from portal.organisations.models import ORG_LANGUAGES
from portal.referrals.models import (
    CATEGORY_LABELS, CONSENT_HOW_LABELS, DATE_LABELS, DECLINE_LABELS, OUTCOME_LABELS, PROGRAMME_LABELS,
    URGENCY_LABELS, Outcome,
)
from portal.web.forms import Form, MultiCheckboxField, choices

MAX_TEXT = _l("Write at most %(max)d characters.")
BAD_DATE = _l("Write a date, for example 2027-01-31.")

CHANNELS = {
    "sms": _l("SMS"),
    "whatsapp": _l("WhatsApp"),
    "call": _l("Phone call"),
    "email": _l("E-mail"),
    "in_person": _l("In person, through the organisation"),
}
DAYS = {
    "mon": _p("weekday", "Monday"), "tue": _p("weekday", "Tuesday"), "wed": _p("weekday", "Wednesday"),
    "thu": _p("weekday", "Thursday"), "fri": _p("weekday", "Friday"), "sat": _p("weekday", "Saturday"),
    "sun": _p("weekday", "Sunday"),
}
NO_ACCOUNT = ""


class StartForm(Form):
    """Who it is for. `key` makes a second "Start" of the same page (a double tap) find the same draft."""
    worker = SelectField(_l("Who is it for?"), validators=[Optional()])
    key = HiddenField(validators=[InputRequired(), Length(min=16, max=32)])


class WhatForm(Form):
    categories = MultiCheckboxField(_l("What happened? Choose all that apply."), choices=choices(CATEGORY_LABELS),
                                    validators=[Optional()])
    urgency = RadioField(_l("How urgent is it?"), choices=choices(URGENCY_LABELS), validators=[Optional()])
    story = TextAreaField(_l("In a few words, what happened"), validators=[
        Optional(), Length(max=3000, message=MAX_TEXT)],
        description=_l("Only what the Mission needs to know to help. You can leave out names."))


class DatesForm(Form):
    termination_date = DateField(_l("If her contract was ended: the day it ended"), validators=[Optional()],
                                 description=_l("She must normally leave Hong Kong within 14 days after it."))
    appointment_kind = SelectField(_l("A date she already has (optional)"),
                                   choices=choices([("", _l("None")), *DATE_LABELS.items()]), default="",
                                   validators=[Optional()])
    appointment_day = DateField(_l("On which day?"), validators=[Optional()])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if ok and bool(self.appointment_kind.data) != bool(self.appointment_day.data):
            self.appointment_day.errors.append(str(_l("Give both what the date is and its day, or neither.")))
            return False
        return ok


class WorkerForm(Form):
    name = StringField(_l("Her name"), validators=[Optional(), Length(max=120, message=MAX_TEXT)])
    phone = StringField(_l("Her mobile number"), validators=[
        Optional(), Length(max=32), _service_check(accounts.normalise_phone)])
    email = StringField(_l("Her e-mail (optional)"), validators=[
        Optional(), Length(max=254), _service_check(accounts.normalise_email)])
    language = SelectField(_l("Her language"), choices=choices(ORG_LANGUAGES), default="fil")
    interpreter = BooleanField(_l("She needs an interpreter"))


class ContactForm(Form):
    channels = MultiCheckboxField(_l("How may the Mission reach her?"), choices=choices(CHANNELS),
                                  validators=[Optional()])
    days = MultiCheckboxField(_l("On which days is it safe?"), choices=choices(DAYS), validators=[Optional()])
    hours = StringField(_l("At what times is it safe?"), validators=[Optional(), Length(max=100, message=MAX_TEXT)],
                        description=_l("For example: after 21:00, or Sunday all day"))
    message_only = BooleanField(_l("Messages only: never call her"))
    no_employer = BooleanField(_l("Never contact her employer"), default=True)


class EmployerForm(Form):
    name = StringField(_l("Employer's name"), validators=[Optional(), Length(max=120, message=MAX_TEXT)])
    phone = StringField(_l("Employer's phone"), validators=[Optional(), Length(max=32, message=MAX_TEXT)])
    address = StringField(_l("Employer's address"), validators=[Optional(), Length(max=300, message=MAX_TEXT)])
    agency = StringField(_l("Employment agency"), validators=[Optional(), Length(max=150, message=MAX_TEXT)])


class ConsentForm(Form):
    how = RadioField(_l("How did she agree that the Mission may see this?"), choices=choices(CONSENT_HOW_LABELS),
                     validators=[InputRequired(_l("Choose how she agreed."))])
    given_on = DateField(_l("On which day?"), validators=[InputRequired(BAD_DATE)])


# --- the Mission's side ---

class TriageForm(Form):
    programme = SelectField(_l("Programme"), choices=choices(PROGRAMME_LABELS), validators=[InputRequired(REQUIRED)])
    urgency = SelectField(_l("Urgency"), choices=choices(URGENCY_LABELS), validators=[InputRequired(REQUIRED)])


class DeclineForm(Form):
    reason = SelectField(_l("Reason (she reads it in her language)"), choices=choices(DECLINE_LABELS),
                         validators=[InputRequired(REQUIRED)])


class AssignForm(Form):
    caseworker = SelectField(_l("Caseworker"), coerce=int, validators=[InputRequired(REQUIRED)])


class NoteForm(Form):
    body = TextAreaField(_l("Note"), validators=[InputRequired(REQUIRED), Length(max=5000, message=MAX_TEXT)])
    shared = BooleanField(_l("Shared: the referring leader reads it too"))


class StayForm(Form):
    termination_date = DateField(_l("Contract ended on"), validators=[Optional()])
    stay_extended_until = DateField(_l("Extension of stay until"), validators=[Optional()])


class KeyDateForm(Form):
    kind = SelectField(_l("Kind of date"), choices=choices(DATE_LABELS), validators=[InputRequired(REQUIRED)])
    day = DateField(_l("Date"), validators=[InputRequired(BAD_DATE)])


class CloseForm(Form):
    outcome = SelectField(_l("Outcome"), choices=choices({k: v for k, v in OUTCOME_LABELS.items()
                                                          if k != Outcome.WITHDRAWN}),
                          validators=[InputRequired(REQUIRED)])


class CodeForm(Form):
    """A referred worker's own code (/check)."""
    code = StringField(_l("Your code"), validators=[InputRequired(REQUIRED), Length(max=40, message=MAX_TEXT)],
                       description=_l("12 letters and numbers, for example ABCD-EFGH-JKMN"))


class AskForm(Form):
    category = RadioField(_l("What is it about?"), choices=choices(CATEGORY_LABELS),
                          validators=[InputRequired(_l("Choose what it is about."))])
    urgency = RadioField(_l("How urgent is it?"), choices=choices(URGENCY_LABELS),
                         validators=[InputRequired(_l("Choose how urgent it is."))])
    text = TextAreaField(_l("Your question"), validators=[InputRequired(REQUIRED), Length(max=2000, message=MAX_TEXT)],
                         description=_l("Do not write her name, her employer's, or anything else that tells who she is."))


class AnswerForm(Form):
    body = TextAreaField(_l("Answer"), validators=[InputRequired(REQUIRED), Length(max=2000, message=MAX_TEXT)])


class AccessRequestForm(Form):
    """A worker asked for the data held about her."""
    received_on = DateField(_l("Day her request came"), validators=[InputRequired(BAD_DATE)])
    name = StringField(_l("Her name"), validators=[Optional(), Length(max=120, message=MAX_TEXT)])
    phone = StringField(_l("Her mobile number"), validators=[
        Optional(), Length(max=32), _service_check(accounts.normalise_phone)])
    email = StringField(_l("Her e-mail (optional)"), validators=[
        Optional(), Length(max=254), _service_check(accounts.normalise_email)])


class ReferOnwardForm(Form):
    """To a partner of the directory, with her consent to that partner."""
    service = SelectField(_l("Partner service"), coerce=int, validators=[InputRequired(REQUIRED)])
    how = RadioField(_l("How did she agree that this partner may see her case?"), choices=choices(CONSENT_HOW_LABELS),
                     validators=[InputRequired(_l("Choose how she agreed."))])
    given_on = DateField(_l("On which day?"), validators=[InputRequired(BAD_DATE)])


NOT_CONFIRMED = _l("Tick the box to confirm. Nothing was changed.")


class ConfirmForm(Form):
    """A tap that cannot be taken back (withdrawing, deleting) asks once, JavaScript or not: the box must be
    ticked with the button."""
    confirm = BooleanField(_l("Yes, I am sure"))


class WithdrawByCodeForm(CodeForm):
    confirm = BooleanField(_l("Yes, I no longer agree"))
