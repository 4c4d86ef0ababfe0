"""The texts of messages to people. Each is rendered in the recipient's language
when it is written to the outbox. Keep personal data out: a name of an
organisation or a code at most, never details of a person's situation."""
from flask_babel import lazy_gettext as _l

MESSAGES = {
    "reset_code": (
        _l("Your code for a new password"),
        _l("Your code to set a new password is %(code)s. It works for %(minutes)s minutes. "
           "If you did not ask for it, ignore this message."),
    ),
    "phone_code": (
        _l("Your code to confirm your number"),
        _l("Your Mission Portal code is %(code)s. It confirms this number and works for %(minutes)s minutes. "
           "If you did not ask for it, ignore this message."),
    ),
    "phone_changed": (
        _l("Your number on the portal was changed"),
        _l("Mission Portal: your account now uses another mobile number. If you did not change it, "
           "contact the Mission."),
    ),
    "org_approved": (
        _l("Your organisation was approved"),
        _l("%(org)s is now approved on the portal. Sign in to see its join code and invite members."),
    ),
    "org_rejected": (
        _l("Your organisation was not approved"),
        _l("%(org)s was not approved. Reason: %(reason)s. Sign in to read more, correct it and send it again."),
    ),
    "org_name_approved": (
        _l("The new name of your organisation was approved"),
        _l("Your organisation is now called %(org)s on the portal."),
    ),
    "org_name_rejected": (
        _l("The new name of your organisation was not approved"),
        _l("Your organisation keeps the name %(org)s on the portal. Please contact the Mission to talk about it."),
    ),
    "join_request": (
        _l("Someone asked to join your organisation"),
        _l("Someone asked to join %(org)s on the portal. Sign in to accept or decline."),
    ),
    "member_accepted": (
        _l("You joined an organisation"),
        _l("%(org)s accepted you as a member. Sign in to see it."),
    ),
    "booking_confirmed": (
        _l("Your training place is booked"),
        _l("You have a place in %(course)s on %(when)s at %(where)s. If your day off is cancelled, release the place "
           "on the portal so that someone else can come."),
    ),
    "seat_offered": (
        _l("A place is free for you"),
        _l("A place in %(course)s on %(when)s at %(where)s is held for you until %(until)s. Sign in to accept it."),
    ),
    "waitlist_joined": (
        _l("You are on a waiting list"),
        _l("You are number %(number)s on the waiting list for %(course)s on %(when)s at %(where)s. If a place "
           "frees, we will tell you."),
    ),
    "offer_expired": (
        _l("The place offered to you has passed on"),
        _l("The place in %(course)s was not accepted in time and went to the next person. "
           "You can join the waiting list again."),
    ),
    "session_cancelled": (
        _l("A training was cancelled"),
        _l("%(course)s on %(when)s at %(where)s is cancelled. We are sorry. Look on the portal for other dates."),
    ),
    "session_changed": (
        _l("A training you booked has changed"),
        _l("%(course)s is now on %(when)s at %(where)s. If you can no longer come, release your place "
           "on the portal so that someone else can come."),
    ),
    "training_reminder": (
        _l("Reminder: your training"),
        _l("%(course)s is on %(when)s at %(where)s. If your day off is cancelled, release your place "
           "on the portal so that someone else can come."),
    ),
    "outreach_accepted": (
        _l("Your training request was accepted"),
        _l("The Mission will give %(course)s for %(org)s on %(when)s at %(where)s. Sign in to book your members."),
    ),
    "outreach_declined": (
        _l("Your training request was declined"),
        _l("The Mission cannot give the training %(org)s asked for. Reason: %(reason)s. "
           "Sign in to read more or ask again."),
    ),
    # Campaigns: time, place and what to bring, nothing more (no campaign, no organisation: a phone may be
    # read by an employer).
    "shift_confirmed": (
        _l("Your volunteer shift"),
        _l("You have a place on %(when)s at %(where)s. Bring: %(bring)s. If your day off is cancelled, "
           "release the place on the portal so that someone else can come."),
    ),
    "shift_offered": (
        _l("A place is free for you"),
        _l("A volunteer place on %(when)s at %(where)s is held for you until %(until)s. Sign in to take it."),
    ),
    "shift_waitlist_joined": (
        _l("You are on a waiting list"),
        _l("You are number %(number)s on the waiting list for a volunteer place on %(when)s at %(where)s. "
           "If a place frees, we will tell you."),
    ),
    "shift_offer_expired": (
        _l("The place offered to you has passed on"),
        _l("The volunteer place on %(when)s at %(where)s was not taken in time and went to the next person."),
    ),
    "shift_changed": (
        _l("Your volunteer shift has changed"),
        _l("Your shift is now on %(when)s at %(where)s. Bring: %(bring)s. If you can no longer come, "
           "release your place on the portal so that someone else can come."),
    ),
    "shift_cancelled": (
        _l("A volunteer shift was cancelled"),
        _l("The shift on %(when)s at %(where)s is cancelled. Thank you for giving your time."),
    ),
    "shift_reminder": (
        _l("Reminder: your volunteer shift"),
        _l("Tomorrow: %(when)s at %(where)s. Bring: %(bring)s. If your day off is cancelled, release your "
           "place on the portal so that someone else can come."),
    ),
    # Mutual Care and Support: only that there is news, never what it is (a phone may be read by an employer).
    "referral_new": (
        _l("News on the portal"),
        _l("There is something new for you on the portal. Please sign in to see it."),
    ),
    "referral_news": (
        _l("News on the portal"),
        _l("There is news for your organisation on the portal. Please sign in to see it."),
    ),
    "case_assigned": (
        _l("News on the portal"),
        _l("Something was given to you on the portal. Please sign in to see it."),
    ),
    "case_news": (
        _l("News on the portal"),
        _l("There is news about your work on the portal. Please sign in to see it."),
    ),
    "case_date": (
        _l("Reminder from the portal"),
        _l("You have a date tomorrow in your work on the portal. Please sign in to see it."),
    ),
    "case_code": (
        _l("Your code for the portal"),
        _l("Your code is %(code)s. Keep it private. To see news, open %(where)s and type it."),
    ),
}

# Messages that carry a code: the outbox empties their text once sent, or once the code has expired
# unsent, and removes their files (notifications.services). A new kind with a code joins here.
SECRET_KINDS = frozenset({"reset_code", "phone_code", "case_code"})
# Of those, the codes that die after RESET_CODE_MINUTES (unsent, they are never sent). A referred worker's
# code lives as long as her case: its message is forgotten when the case is shredded (forget_messages()).
EXPIRING_KINDS = frozenset({"reset_code", "phone_code"})
# Codes she has just asked for and is waiting for: the only messages sent in the quiet hours (QUIET_HOURS).
ASKED_FOR_KINDS = EXPIRING_KINDS
# What always reaches her, by SMS or e-mail, whatever she chose: her codes, and the news that her number was
# changed (the one sign that someone else has taken her account).
SECURITY_KINDS = frozenset({"reset_code", "phone_code", "phone_changed"})

# Her choices (MessageChoice): for each topic, the channel she wants or none. Every kind but the security
# ones and a referred worker's code (sent to an address, not an account) belongs to one topic.
TOPICS = {
    "trainings": (_l("My trainings: bookings, places offered, changes, reminders"),
                  ("booking_confirmed", "waitlist_joined", "seat_offered", "offer_expired", "session_cancelled",
                   "session_changed", "training_reminder")),
    "campaigns": (_l("My volunteer shifts"),
                  ("shift_confirmed", "shift_waitlist_joined", "shift_offered", "shift_offer_expired",
                   "shift_changed", "shift_cancelled", "shift_reminder")),
    "organisation": (_l("My organisation: approvals, members, training requests"),
                     ("org_approved", "org_rejected", "org_name_approved", "org_name_rejected", "join_request",
                      "member_accepted",
                      "outreach_accepted", "outreach_declined")),
    "cases": (_l("Referrals and cases (that there is news, never what it is)"),
              ("referral_new", "referral_news", "case_assigned", "case_news", "case_date")),
}
TOPIC_OF = {kind: topic for topic, (_label, kinds) in TOPICS.items() for kind in kinds}

# Discreet wording (User.discreet): what a message says instead of its kind's text, nothing of its topic.
# A message with a day and time keeps them and the place; one that holds a place until a moment keeps that.
DISCREET_SUBJECT = _l("Mission Portal: you have an update")
DISCREET_TIMED = _l("Mission Portal appointment: %(when)s, %(where)s. Sign in to see more.")
DISCREET_HELD = _l("Mission Portal: you have an update about %(when)s, %(where)s. Sign in before %(until)s to see it.")
DISCREET_OTHER = _l("Mission Portal: you have an update. Sign in to see it.")


def discreet_texts(kind: str):
    """(subject, body) of `kind` in discreet wording; codes keep theirs (they name no topic)."""
    if kind in SECRET_KINDS:
        return MESSAGES[kind]
    body = MESSAGES[kind][1]._args[0]
    text = DISCREET_HELD if "%(until)s" in body else DISCREET_TIMED if "%(when)s" in body else DISCREET_OTHER
    return DISCREET_SUBJECT, text
