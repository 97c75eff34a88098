"""The one settings module.

Every deploy setting comes from the environment. Two modes:

* embedded (default): SQLite in WAL mode under ``ANJU_VAR_DIR`` (``./var``),
  a generated secret key kept in that directory, DEBUG off unless asked for.
* production (``ANJU_ENV=production``): ``DATABASE_URL``, ``SECRET_KEY`` and
  ``ALLOWED_HOSTS`` must be set, or the start fails with a clear message.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
ENV = os.environ.get("ANJU_ENV", "embedded").strip().lower()
PRODUCTION = ENV == "production"

if ENV not in {"embedded", "production"}:
    raise ImproperlyConfigured(f"ANJU_ENV must be 'embedded' or 'production', not {ENV!r}.")


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def _require(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(
            f"Anju production start refused: environment variable {name} is not set. "
            "See README.md, section 'Production'."
        )
    return value


VAR_DIR = Path(os.environ.get("ANJU_VAR_DIR", Path.cwd() / "var")).resolve()
MEDIA_ROOT = Path(os.environ.get("ANJU_MEDIA_ROOT", VAR_DIR / "media")).resolve()
# Collected static files exist only in production; the embedded setup serves
# them straight from the package through WhiteNoise's finders.
STATIC_ROOT = Path(os.environ.get("ANJU_STATIC_ROOT", VAR_DIR / "static")).resolve() if PRODUCTION else None


def _embedded_secret() -> str:
    """A per-installation secret, created once and kept beside the database."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


if PRODUCTION:
    SECRET_KEY = _require("SECRET_KEY")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("Anju production start refused: SECRET_KEY must be at least 50 characters.")
    # A connection is kept for a minute (a new PostgreSQL connection costs a page several milliseconds) and
    # checked before a request reuses it, so a database that restarted costs a reconnect, not an error page.
    DATABASES = {"default": dj_database_url.parse(_require("DATABASE_URL"), conn_max_age=60, conn_health_checks=True)}
    ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", [])
    if not ALLOWED_HOSTS:
        _require("ALLOWED_HOSTS")
    DEBUG = False
else:
    SECRET_KEY = os.environ.get("SECRET_KEY") or _embedded_secret()
    _db_url = os.environ.get("DATABASE_URL", "")
    if _db_url:
        DATABASES = {"default": dj_database_url.parse(_db_url)}
    else:
        DATABASES = {
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(VAR_DIR / "anju.sqlite3"),
            }
        }
    ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
    DEBUG = _env_bool("DEBUG", False)

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while one writer writes; IMMEDIATE makes every
    # transaction take the write lock at BEGIN, which serialises the
    # check-then-insert invariants (DESIGN.md rule 4) on SQLite.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("TEST", {})
    DATABASES["default"]["TEST"]["NAME"] = os.environ.get("ANJU_TEST_DB_NAME", "test_anju")

# The read replica (a PostgreSQL streaming standby) for dashboards, exports and reports: ``anju.core.replica``
# sends the reads of the functions marked ``@replica.reads`` there, and everything else to the primary.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"],
        conn_max_age=DATABASES["default"].get("CONN_MAX_AGE", 0),
        conn_health_checks=DATABASES["default"].get("CONN_HEALTH_CHECKS", False),
    )
    # A replica that does not answer must not hold a request up: after this many seconds it is marked down
    # and the primary answers instead.
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["replica"].setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", int(os.environ.get("ANJU_REPLICA_CONNECT_TIMEOUT", "3"))
        )
    DATABASES["replica"]["ATOMIC_REQUESTS"] = False
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["anju.core.replica.ReplicaRouter"]
#: After a write (any request that is not GET or HEAD) this client reads from the primary for this long.
ANJU_REPLICA_STICKY_SECONDS = int(os.environ.get("ANJU_REPLICA_STICKY_SECONDS", "15"))
#: After the replica failed to answer, reads go to the primary for this long before it is asked again.
ANJU_REPLICA_RETRY_SECONDS = int(os.environ.get("ANJU_REPLICA_RETRY_SECONDS", "30"))
#: A page read from the replica says how far behind it is when the lag is over this many seconds.
ANJU_REPLICA_LAG_WARN_SECONDS = int(os.environ.get("ANJU_REPLICA_LAG_WARN_SECONDS", "5"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "anju.core",
    "anju.orgs",
    "anju.accounts",
    "anju.audit",
    "anju.jobs",
    "anju.calendar",
    "anju.inbox",
    "anju.spaces",
    "anju.people",
    "anju.appeals",
    "anju.activities",
    "anju.bulletin",
    "anju.duty",
    "anju.pairing",
    "anju.consult",
    "anju.contributions",
    "anju.mediation",
    "anju.insights",
    "anju.site",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "anju.core.security.SecurityHeadersMiddleware",  # CSP on every answer; private files never cached
    "anju.core.middleware.OutageMiddleware",
    "anju.core.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "anju.core.replica.RecentWriteMiddleware",  # whoever just wrote reads from the primary, not the replica
    "anju.accounts.usercache.CachedUserMiddleware",  # Django's, with the user read through the shared cache
    "anju.core.middleware.LanguageMiddleware",
    "anju.core.middleware.NulCharacterMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "anju.accounts.acting.ActingMiddleware",  # a family proxy acting for a resident, re-checked every request
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "anju.urls"
WSGI_APPLICATION = "anju.wsgi.application"
ANJU_API = "anju.api.api"  # the django-ninja API object (``anju export_openapi``)

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "anju.core.context_processors.shell",
            ],
        },
    }
]

FORM_RENDERER = "anju.core.forms.FormRenderer"  # empty error lists and plain inputs without a template render

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["anju.accounts.backends.UsernameOrMobileBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# The test suite puts a cheap hasher first in its own conftest.py; these settings never ask
# whether they run under a test runner.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "anju.accounts.validators.CommonChinesePasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling: after LOGIN_FAILURE_LIMIT failures the key is locked for
# LOGIN_LOCKOUT_BASE seconds, doubling with each further failure (capped).
LOGIN_FAILURE_LIMIT = int(os.environ.get("ANJU_LOGIN_FAILURE_LIMIT", "5"))
LOGIN_LOCKOUT_BASE = int(os.environ.get("ANJU_LOGIN_LOCKOUT_SECONDS", "60"))
LOGIN_LOCKOUT_MAX = 3600
# An address is locked after 4 × LOGIN_FAILURE_LIMIT failures within this many seconds, whatever succeeds
# in between (accounts.signin).
LOGIN_ADDRESS_WINDOW = int(os.environ.get("ANJU_LOGIN_ADDRESS_WINDOW_SECONDS", "3600"))
# A browser an account signed in on is remembered this long: a locked account still signs in there.
LOGIN_DEVICE_COOKIE = "anju_device"
LOGIN_DEVICE_DAYS = int(os.environ.get("ANJU_LOGIN_DEVICE_DAYS", "180"))

SESSION_COOKIE_AGE = int(os.environ.get("ANJU_SESSION_SECONDS", str(8 * 3600)))
# Sessions and the signed-in user are read from a cache (no database query on a signed-in request) that every
# process of the site shares, so a sign-out in one is seen by all at once: a directory under var/ (one host, any
# number of `anju serve` processes and workers; no Redis needed). Several hosts behind one address would need a
# shared cache server, which is not offered yet. Sessions are still written to the database (cached_db): a
# cleared cache signs nobody out, and `anju restore` clears it.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_CACHE_ALIAS = "sessions"
CACHES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    SESSION_CACHE_ALIAS: {
        "BACKEND": "anju.core.filecache.SharedFileCache",  # Django's file cache, hot keys decoded once a process
        "LOCATION": str(VAR_DIR / "cache" / "sessions"),
        "TIMEOUT": SESSION_COOKIE_AGE,
        "OPTIONS": {"MAX_ENTRIES": 50_000, "CULL_FREQUENCY": 10},
    },
}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads it to send X-CSRFToken
CSRF_FAILURE_VIEW = "anju.site.views.csrf_failure"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "anju_language"
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "/static/"
MEDIA_URL = "/media/"
STORAGES = {
    # Uploads go live only when their row commits (anju.core.files); jobs.sweep_media removes what a crash left.
    "default": {"BACKEND": "anju.core.files.CommitOnlyStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Request limits. Any request body over MAX_REQUEST_BYTES is refused with 413;
# a JSON or form body (no files) over DATA_UPLOAD_MAX_MEMORY_SIZE too.
MAX_REQUEST_BYTES = int(os.environ.get("ANJU_MAX_REQUEST_BYTES", str(60 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("ANJU_MAX_BODY_BYTES", str(2 * 1024 * 1024)))
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
# Larger uploads are spooled here, not to /tmp, so that jobs.sweep_media removes what a killed process left.
FILE_UPLOAD_TEMP_DIR = str(Path(os.environ.get("ANJU_UPLOAD_SPOOL_DIR", VAR_DIR / "upload-spool")).resolve())
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "anju.core.files.UploadSpoolHandler",
]
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# Personal-data keys (DESIGN.md rule 3): ANJU_DATA_KEYS is a JSON object
# {"key_id": "base64 32-byte key", ...} with ANJU_DATA_KEY_CURRENT naming the
# one used for new values; otherwise a key file outside the database.
DATA_KEY_FILE = Path(os.environ.get("ANJU_DATA_KEY_FILE", VAR_DIR / "keys" / "data-keys.json")).resolve()

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "anju@localhost")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", False)
# Notices go out by email only when this is on (or an SMTP host other than localhost is set): inbox.services.
ANJU_EMAIL_ENABLED = _env_bool("ANJU_EMAIL_ENABLED", False)
# The site's address, so that links in emails are complete (``https://anju.example.cn``).
ANJU_BASE_URL = os.environ.get("ANJU_BASE_URL", "")
# The daily digest of notices (inbox.digest): local hour at which it is written.
ANJU_DIGEST_HOUR = int(os.environ.get("ANJU_DIGEST_HOUR", "8"))
# SMS (inbox.smsproviders): console (the log, numbers masked) | file (var/sms.jsonl) | aliyun | tencent.
ANJU_SMS_BACKEND = os.environ.get("ANJU_SMS_BACKEND", "console")
ANJU_SMS_FILE = os.environ.get("ANJU_SMS_FILE", "")
ANJU_SMS_DAILY_CAP = int(os.environ.get("ANJU_SMS_DAILY_CAP", "5"))
ANJU_SMS_ALIYUN = {
    "access_key_id": os.environ.get("ANJU_SMS_ALIYUN_ACCESS_KEY_ID", ""),
    "access_key_secret": os.environ.get("ANJU_SMS_ALIYUN_ACCESS_KEY_SECRET", ""),
    "sign_name": os.environ.get("ANJU_SMS_SIGN_NAME", ""),
    "endpoint": os.environ.get("ANJU_SMS_ALIYUN_ENDPOINT", "https://dysmsapi.aliyuncs.com/"),
    "region": os.environ.get("ANJU_SMS_ALIYUN_REGION", "cn-hangzhou"),
}
ANJU_SMS_TENCENT = {
    "secret_id": os.environ.get("ANJU_SMS_TENCENT_SECRET_ID", ""),
    "secret_key": os.environ.get("ANJU_SMS_TENCENT_SECRET_KEY", ""),
    "sdk_app_id": os.environ.get("ANJU_SMS_TENCENT_SDK_APP_ID", ""),
    "sign_name": os.environ.get("ANJU_SMS_SIGN_NAME", ""),
    "endpoint": os.environ.get("ANJU_SMS_TENCENT_ENDPOINT", "https://sms.tencentcloudapi.com/"),
    "region": os.environ.get("ANJU_SMS_TENCENT_REGION", "ap-guangzhou"),
}
# Which message kinds may go by SMS: the provider's approved template and the message parameters it takes,
# in the template's order (Tencent's TemplateParamSet is a list; Alibaba's TemplateParam names them). No
# free text: only these parameters travel. JSON in ANJU_SMS_TEMPLATES, e.g.
# {"appeal.callback": {"code": "SMS_123456", "params": ["number"]}}. Empty: no SMS is written.
ANJU_SMS_TEMPLATES = json.loads(os.environ.get("ANJU_SMS_TEMPLATES", "") or "{}")

# Sign-in codes by SMS (accounts.codes): six digits, valid ANJU_CODE_TTL seconds, single use, stored as an
# HMAC keyed with ANJU_CODE_KEY (by default derived from SECRET_KEY). Limits: one code per number every
# ANJU_CODE_RESEND_SECONDS, ANJU_CODE_PER_NUMBER_DAY per number a day, ANJU_CODE_PER_ADDRESS_HOUR per
# address an hour; ANJU_CODE_ATTEMPTS wrong tries lock a code. The SMS template is the "accounts.code" entry
# of ANJU_SMS_TEMPLATES (params ["code"]), "SIGNIN_CODE" when none is configured.
ANJU_CODE_KEY = os.environ.get("ANJU_CODE_KEY", "")
ANJU_CODE_TTL = int(os.environ.get("ANJU_CODE_TTL_SECONDS", "300"))
ANJU_CODE_RESEND_SECONDS = int(os.environ.get("ANJU_CODE_RESEND_SECONDS", "60"))
ANJU_CODE_PER_NUMBER_DAY = int(os.environ.get("ANJU_CODE_PER_NUMBER_DAY", "8"))
ANJU_CODE_PER_ADDRESS_HOUR = int(os.environ.get("ANJU_CODE_PER_ADDRESS_HOUR", "20"))
ANJU_CODE_ATTEMPTS = int(os.environ.get("ANJU_CODE_ATTEMPTS", "5"))
# Roles whose password sign-in also asks for an SMS code (comma-separated role names, e.g. "admin,supervisor").
ANJU_CODE_SECOND_FACTOR_ROLES = _env_list("ANJU_CODE_SECOND_FACTOR_ROLES", [])
# A desk invitation (people.invitations) is valid this many days.
ANJU_INVITATION_DAYS = int(os.environ.get("ANJU_INVITATION_DAYS", "7"))

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = _env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Submitting a domain to the browsers' preload list is a lasting
        # decision for the operator (SECURE_HSTS_PRELOAD=1), not a default.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS", [])
    # The data key must come from the environment or a mounted key file.
    if not os.environ.get("ANJU_DATA_KEYS") and not DATA_KEY_FILE.exists():
        _require("ANJU_DATA_KEYS")

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 200

ANJU_SITE_NAME = _("Anju community service")
# How often the in-process worker of `anju serve` looks for due work.
WORKER_POLL_SECONDS = float(os.environ.get("ANJU_WORKER_POLL_SECONDS", "5"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ANJU_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}, "django.security": {"level": "WARNING"}},
}
