"""Settings read from the environment, one class per mode."""
import atexit
import os
import secrets
import shutil
import tempfile
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from portal.files import private_dir, write_once
from portal.languages import LANGUAGES

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one kept in instance/ so sessions survive restarts."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = INSTANCE / "secret_key"
    if not path.exists():
        write_once(path, secrets.token_urlsafe(48))
    return path.read_text().strip()


def _field_keys() -> str:
    """FIELD_KEYS from the environment (Fernet keys, the first encrypts: portal/crypto.py), else a development
    key kept in instance/ (0600), made on first use."""
    if keys := os.environ.get("FIELD_KEYS"):
        return keys
    path = INSTANCE / "field_keys"
    if not path.exists():
        from cryptography.fernet import Fernet
        write_once(path, Fernet.generate_key().decode())
    return path.read_text().strip()


# The tests' key (a Fernet key is 32 bytes in URL-safe base64); never used outside TestConfig.
TEST_FIELD_KEY = "dGVzdC1vbmx5LWtleS1mb3ItdGhlLXBvcnRhbC10ZXM="


@lru_cache(maxsize=1)
def _test_materials_dir() -> str:
    """One scratch folder per test process for uploaded materials, removed when it ends."""
    path = tempfile.mkdtemp(prefix="portal-materials-")
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


class Config:
    SITE_TITLE = "Portal"  # neutral: the browser tab must not say what the page is about
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'portal.db'}"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    LANGUAGES = LANGUAGES  # portal/languages.py
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "Asia/Hong_Kong"
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    SEND_FILE_MAX_AGE_DEFAULT = timedelta(days=365)
    COMPRESS_MIMETYPES = ["text/html", "text/css", "application/javascript", "text/javascript",
                          "application/json", "text/calendar"]
    COMPRESS_MIN_SIZE = 300
    COMPRESS_ALGORITHM = ["br", "gzip"]
    # Counts of tries, shared by every worker and server: Redis when there is one, else the database.
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "portal-db://"
    RATELIMIT_HEADERS_ENABLED = False
    # Limits on tries (see portal/throttle.py). Sign-in and codes count failures only; the others every try.
    # Failed sign-ins from browsers that never signed in to the account: per account, per address (a Sunday
    # venue's Wi-Fi). They never lock her own phone, which has its own limit (LOGIN_LIMIT_DEVICE).
    LOGIN_LIMIT_ACCOUNT = "5 per 15 minutes"    # also wrong current passwords on "Change my password"
    LOGIN_LIMIT_ADDRESS = "30 per 15 minutes"
    LOGIN_LIMIT_DEVICE = "10 per 15 minutes"
    RESET_LIMIT_ADDRESS = "10 per hour"         # codes asked for from one address
    RESET_LIMIT_TARGET = "3 per hour"           # codes sent to one number or e-mail, whoever asks; beyond it
    RESET_LIMIT_TARGET_DAY = "6 per day"        #   the answer is the same and nothing is sent
    CODE_LIMIT_ADDRESS = "20 per hour"          # wrong reset codes from one address (each code dies at 5)
    REGISTER_LIMIT_ADDRESS = "40 per hour"      # an organisation may register its members on one Wi-Fi
    PHONE_CODE_LIMIT_ADDRESS = "40 per hour"    # numbers' codes: as many as registrations on one Wi-Fi
    PHONE_CODE_LIMIT_ACCOUNT = "6 per day"      # numbers' codes one account asks for (its own, or new ones)
    REGISTER_LIMIT_TARGET = "5 per hour"        # tries with one number or e-mail
    JOIN_LIMIT_ADDRESS = "30 per hour"          # wrong join codes
    JOIN_LIMIT_ACCOUNT = "10 per hour"
    CASE_CODE_LIMIT_ADDRESS = "10 per hour"     # wrong codes at /check (a referred worker's own code)
    ORG_LIMIT_ADDRESS = "10 per day"            # organisations registered
    ORG_LIMIT_ACCOUNT = "3 per day"
    PASSWORD_HASH = {}  # argon2id parameters; the library's defaults when empty
    RESET_CODE_MINUTES = 30
    OUTBOX_DIR = str(INSTANCE / "outbox")
    # Uploaded materials: kept under instance/ with random names, never served from static/.
    MATERIALS_DIR = os.environ.get("MATERIALS_DIR") or str(INSTANCE / "materials")
    MATERIALS_MAX_BYTES = 10 * 1024 * 1024
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_FROM = os.environ.get("MAIL_FROM", "portal@localhost")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "1") == "1"
    MAIL_CA_FILE = os.environ.get("MAIL_CA_FILE")  # the CA of a mail server whose certificate no public CA signed
    # SMS through Twilio (portal/notifications/sms.py); without these, SMS are written to OUTBOX_DIR.
    TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID")
    TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN")
    TWILIO_FROM = os.environ.get("TWILIO_FROM")  # a number in E.164, or an alphanumeric sender ID
    TWILIO_MESSAGING_SERVICE_SID = os.environ.get("TWILIO_MESSAGING_SERVICE_SID")  # instead of TWILIO_FROM
    TWILIO_API_BASE = os.environ.get("TWILIO_API_BASE")  # only to point the client at a stand-in
    SMS_STATUS_URL = os.environ.get("SMS_STATUS_URL")  # https://<host>/hooks/sms/status, as Twilio calls it
    SMS_TIMEOUT_SECONDS = 15
    # WhatsApp through Meta's Cloud API (portal/notifications/whatsapp.py). Without the token and number id,
    # WhatsApp is not offered (WHATSAPP_OFFERED=1 offers it anyway, its messages written to OUTBOX_DIR).
    WHATSAPP_TOKEN = os.environ.get("WHATSAPP_TOKEN")
    WHATSAPP_PHONE_NUMBER_ID = os.environ.get("WHATSAPP_PHONE_NUMBER_ID")
    WHATSAPP_APP_SECRET = os.environ.get("WHATSAPP_APP_SECRET")  # Meta signs the status webhook with it
    WHATSAPP_VERIFY_TOKEN = os.environ.get("WHATSAPP_VERIFY_TOKEN")  # our answer when Meta checks the webhook
    WHATSAPP_API_VERSION = os.environ.get("WHATSAPP_API_VERSION", "v23.0")
    WHATSAPP_API_BASE = os.environ.get("WHATSAPP_API_BASE")  # only to point the client at a stand-in
    WHATSAPP_OFFERED = {"1": True, "0": False}.get(os.environ.get("WHATSAPP_OFFERED", ""))
    WHATSAPP_TIMEOUT_SECONDS = 15
    # How fast the outbox sends through each gateway, every worker together (portal/throttle.GATEWAYS): set it
    # to what the account's sender may send (an SMS number, a messaging service, the mail server's limits).
    SMS_RATE_LIMIT = os.environ.get("SMS_RATE_LIMIT", "5 per second")
    MAIL_RATE_LIMIT = os.environ.get("MAIL_RATE_LIMIT", "10 per second")
    WHATSAPP_RATE_LIMIT = os.environ.get("WHATSAPP_RATE_LIMIT", "20 per second")
    # Hong Kong hours (from, until) in which only codes she asked for are sent (notifications.services).
    QUIET_HOURS = (21, 8)
    WORKER_INTERVAL = 30
    # How long a tap with JavaScript waits for the portal's answer before telling her none came: a page is a
    # few KB, which a phone on a weak 2G/3G link gets in a few seconds; beyond this something is wrong.
    HTMX_TIMEOUT_MS = 20_000
    # Closed and declined referrals are shredded (personal and case fields erased, counts kept) this long after.
    REFERRAL_RETENTION_DAYS = int(os.environ.get("REFERRAL_RETENTION_DAYS", "365"))
    REFERRAL_DRAFT_DAYS = int(os.environ.get("REFERRAL_DRAFT_DAYS", "30"))  # a draft left this long is deleted
    PER_PAGE = 25
    QUICK_EXIT_URL = os.environ.get("QUICK_EXIT_URL", "https://www.weather.gov.hk/en/")
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")  # in messages that name where to go
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))

    def __init__(self):
        private_dir(INSTANCE)
        self.SECRET_KEY = _secret_key()
        self.FIELD_KEYS = _field_keys()

    @staticmethod
    def from_env() -> "Config":
        mode = os.environ.get("PORTAL_ENV", "development")
        return {"production": ProductionConfig, "testing": TestConfig}.get(mode, DevelopmentConfig)()


class DevelopmentConfig(Config):
    """`make run` on plain http://127.0.0.1: cookies cannot be Secure there."""
    # WhatsApp is offered, its messages written to OUTBOX_DIR like the SMS (WHATSAPP_OFFERED=0: not offered).
    WHATSAPP_OFFERED = True if Config.WHATSAPP_OFFERED is None else Config.WHATSAPP_OFFERED


class ProductionConfig(Config):
    """Served behind HTTPS."""
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


class TestConfig(Config):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    RATELIMIT_STORAGE_URI = "portal-db://"  # the counts live in the test's database, emptied after each test
    # Cheap hashes keep the suite fast; production keeps argon2id's defaults.
    PASSWORD_HASH = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
    # The suite sends at whatever hour it runs; the tests of the quiet hours set them (test_outbox_and_cli).
    QUIET_HOURS = None
    SMS_RATE_LIMIT = MAIL_RATE_LIMIT = WHATSAPP_RATE_LIMIT = "1000 per second"  # the gateways' own test sets a low one
    WHATSAPP_OFFERED = True  # written to the test's sender; tests/test_whatsapp.py points it at a stand-in

    def __init__(self, **overrides):
        self.SECRET_KEY = "test-secret"
        self.FIELD_KEYS = TEST_FIELD_KEY
        self.OUTBOX_DIR = None
        self.MATERIALS_DIR = _test_materials_dir()
        for key, value in overrides.items():
            setattr(self, key, value)
