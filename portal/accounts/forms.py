from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length, Optional, ValidationError

from portal.accounts import services
from portal.languages import LANGUAGES
from portal.web import DomainError
from portal.web.forms import Form, choices

REQUIRED = _l("Please fill this in.")


def _service_check(fn):
    def check(form, field):
        if field.data:
            try:
                fn(field.data)
            except DomainError as e:
                raise ValidationError(str(e.message)) from e
    return check


class LoginForm(Form):
    identifier = StringField(_l("Mobile number or e-mail"), validators=[DataRequired(REQUIRED), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this phone (only if no one else uses it)"), default=False)
    next = HiddenField()


class RegisterForm(Form):
    name = StringField(_l("Your name"), validators=[DataRequired(REQUIRED), Length(max=120)])
    phone = StringField(_l("Mobile number"), validators=[Optional(), Length(max=32),
                                                         _service_check(services.normalise_phone)],
                        description=_l("Hong Kong or home-country number, e.g. 5123 4567 or %(example)s",
                                            example=services.HOME_NUMBER))
    email = StringField(_l("E-mail (optional)"), validators=[Optional(), Length(max=254),
                                                             _service_check(services.normalise_email)])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(REQUIRED), Length(min=services.MIN_PASSWORD, max=200,
                                       message=_l("Use a password of at least 10 characters."))])
    confirm = PasswordField(_l("Password again"), validators=[
        DataRequired(REQUIRED), EqualTo("password", message=_l("The two passwords are not the same."))])
    locale = SelectField(_l("Language"), choices=choices(LANGUAGES), default="en")
    next = HiddenField()

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if ok and not self.phone.data and not self.email.data:
            self.phone.errors.append(str(services.NeedContact.message))
            return False
        return ok


class ResetRequestForm(Form):
    identifier = StringField(_l("Mobile number or e-mail"), validators=[DataRequired(REQUIRED), Length(max=254)])


def _new_password():
    return PasswordField(_l("New password"), validators=[
        DataRequired(REQUIRED), Length(min=services.MIN_PASSWORD, max=200,
                                       message=_l("Use a password of at least 10 characters."))])


def _new_password_again():
    return PasswordField(_l("New password again"), validators=[
        DataRequired(REQUIRED), EqualTo("password", message=_l("The two passwords are not the same."))])


class ResetForm(Form):
    identifier = StringField(_l("Mobile number or e-mail"), validators=[DataRequired(REQUIRED), Length(max=254)])
    code = StringField(_l("Code you received"), validators=[DataRequired(REQUIRED), Length(max=12)])
    password = _new_password()
    confirm = _new_password_again()


class PasswordForm(Form):
    current = PasswordField(_l("Your password now"), validators=[DataRequired(REQUIRED), Length(max=200)])
    password = _new_password()
    confirm = _new_password_again()


class LanguageForm(Form):
    locale = SelectField(_l("Language"), choices=choices(LANGUAGES))
    next = HiddenField()


class PhoneCodeForm(Form):
    code = StringField(_l("Code you received"), validators=[DataRequired(REQUIRED), Length(max=12)])
    next = HiddenField()


class PhoneChangeForm(Form):
    phone = StringField(_l("New mobile number"), validators=[DataRequired(REQUIRED), Length(max=32),
                                                             _service_check(services.normalise_phone)],
                        description=_l("Hong Kong or home-country number, e.g. 5123 4567 or %(example)s",
                                       example=services.HOME_NUMBER))
    current = PasswordField(_l("Your password now"), validators=[DataRequired(REQUIRED), Length(max=200)])


class DiscreetForm(Form):
    on = HiddenField(validators=[AnyOf(["0", "1"])])
    next = HiddenField()
