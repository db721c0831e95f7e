"""Settings for Dajiuzhu.

Everything that differs between machines is read from the environment. Without
``DJANGO_ENV=production`` the platform runs in the embedded mode: SQLite in ``var/``,
background jobs in-process, an insecure development key. In production the settings
refuse to start without ``DJANGO_SECRET_KEY`` and ``DAJIUZHU_FIELD_KEY``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DAJIUZHU_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

ENV = os.environ.get("DJANGO_ENV", "development")
PRODUCTION = ENV == "production"
TESTING = os.environ.get("DAJIUZHU_TESTING") == "1" or "pytest" in sys.modules


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_ENV=production.")
    SECRET_KEY = "dev-insecure-dajiuzhu-key-do-not-use-in-production"  # noqa: S105

# Key for field encryption (AES-GCM) and the blind index (HMAC-SHA256) of ID and phone numbers.
FIELD_ENCRYPTION_KEY = os.environ.get("DAJIUZHU_FIELD_KEY", "")
if not FIELD_ENCRYPTION_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("DAJIUZHU_FIELD_KEY must be set when DJANGO_ENV=production.")
    FIELD_ENCRYPTION_KEY = "dev-insecure-field-key"

# Key of the audit log's signed checkpoints (HMAC-SHA256, core.audit_checkpoint). Kept out of the
# database, and distinct from the two keys above, so that someone who can write the database cannot
# forge a checkpoint after rewriting the audit chain.
AUDIT_CHECKPOINT_KEY = os.environ.get("DAJIUZHU_AUDIT_KEY", "")
if not AUDIT_CHECKPOINT_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("DAJIUZHU_AUDIT_KEY must be set when DJANGO_ENV=production.")
    AUDIT_CHECKPOINT_KEY = "dev-insecure-audit-key"
# The append-only JSON-lines file of checkpoints lives here (keep it off the database's disk and
# back it up apart from the database; docs/security.md).
AUDIT_CHECKPOINT_DIR = Path(os.environ.get("DAJIUZHU_AUDIT_CHECKPOINT_DIR", VAR_DIR / "audit-checkpoints"))
# A checkpoint is written by the scheduled job and whenever the chain passes a multiple of this many events.
AUDIT_CHECKPOINT_EVERY = int(os.environ.get("DAJIUZHU_AUDIT_CHECKPOINT_EVERY", "1000"))

if PRODUCTION:
    # Refuse example, development and short keys (dajiuzhu/core/keys.py); outside production a
    # system check warns when DEBUG is off (core.checks).
    from dajiuzhu.core.keys import generate_hint, weak_key_reason

    for _name, _value in (("DJANGO_SECRET_KEY", SECRET_KEY), ("DAJIUZHU_FIELD_KEY", FIELD_ENCRYPTION_KEY),
                          ("DAJIUZHU_AUDIT_KEY", AUDIT_CHECKPOINT_KEY)):
        if _reason := weak_key_reason(_value):
            raise ImproperlyConfigured(f"{_name} is refused in production: {_reason}. Generate one with {generate_hint()}")
    if AUDIT_CHECKPOINT_KEY in (SECRET_KEY, FIELD_ENCRYPTION_KEY):
        raise ImproperlyConfigured("DAJIUZHU_AUDIT_KEY must differ from DJANGO_SECRET_KEY and DAJIUZHU_FIELD_KEY.")

DEBUG = env_bool("DJANGO_DEBUG", not PRODUCTION)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Dajiuzhu, in dependency order: an app imports only apps above it.
    "dajiuzhu.core",
    "dajiuzhu.regions",
    "dajiuzhu.accounts",
    "dajiuzhu.registry",
    "dajiuzhu.programs",
    "dajiuzhu.cases",
    "dajiuzhu.credit",
    "dajiuzhu.checks",
    "dajiuzhu.indices",
    "dajiuzhu.alerts",
    "dajiuzhu.results",
    "dajiuzhu.social",
    "dajiuzhu.employment",
    "dajiuzhu.supervision",
    "dajiuzhu.portal",
    "dajiuzhu.exchange",
    "dajiuzhu.dashboards",
    "dajiuzhu.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "dajiuzhu.core.middleware.SecurityHeadersMiddleware",  # CSP and friends on every response, static files too
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "dajiuzhu.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dajiuzhu.core.middleware.RequestContextMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "dajiuzhu.core.context_processors.platform",
            ],
        },
    },
]

# Database: the embedded SQLite file by default, PostgreSQL (or any) via DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'dajiuzhu.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
if os.environ.get("DATABASE_REPLICA_URL"):
    # Optional read replica for dashboards and reports (see docs/scaling.md and config/routers.py).
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60"))
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
if PRODUCTION:
    for _alias in DATABASES.values():
        _alias["CONN_HEALTH_CHECKS"] = True
DATABASE_ROUTERS = ["config.routers.ReplicaRouter"]
REPLICA_APPS = frozenset(env_list("DAJIUZHU_REPLICA_APPS", "dashboards"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["dajiuzhu.accounts.backends.ThrottledModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Fast hashing only inside the test suite.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"] + PASSWORD_HASHERS
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling: after this many failures for one username or one address within the
# window, further attempts are refused until the window passes.
LOGIN_MAX_FAILURES = int(os.environ.get("DAJIUZHU_LOGIN_MAX_FAILURES", "5"))
LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("DAJIUZHU_LOGIN_FAILURE_WINDOW", "900"))
# Failed logins for names that are no account: audit rows written per window for the whole platform.
LOGIN_UNKNOWN_AUDIT_LIMIT = int(os.environ.get("DAJIUZHU_LOGIN_UNKNOWN_AUDIT_LIMIT", "20"))

# Sessions and cookies.
SESSION_COOKIE_AGE = int(os.environ.get("DAJIUZHU_SESSION_SECONDS", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The client address of the address-based limits (login throttling, public objections) comes from this
# request header set by the reverse proxy (e.g. X-Real-IP or X-Forwarded-For), taking the entry that
# many hops from the right; unset: the socket's REMOTE_ADDR only (core.net.client_address).
TRUSTED_PROXY_HEADER = os.environ.get("DAJIUZHU_TRUSTED_PROXY_HEADER", "").strip()
TRUSTED_PROXY_HOPS = int(os.environ.get("DAJIUZHU_TRUSTED_PROXY_HOPS", "1"))
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Language: Simplified Chinese by default, English switchable. Source strings are English.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = os.environ.get("DJANGO_STATIC_URL", "static/")
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
if not PRODUCTION:
    # WhiteNoise serves from the finders in development; an empty root keeps it quiet.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
    WHITENOISE_USE_FINDERS = True
STATICFILES_DIRS = [BASE_DIR / "static"]
if PRODUCTION:
    # collectstatic writes hashed, compressed files that whitenoise serves with far-future caching.
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# A larger upload is sealed (encrypted) as it arrives, never in a plaintext temporary file (core.uploads).
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler",
                        "dajiuzhu.core.uploads.SealedUploadHandler"]

# Cache: Redis when REDIS_URL is set, local memory otherwise.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background jobs: "inline" runs a job in the calling process, "thread" in a background
# thread of the web process (the embedded default), "celery" on Celery workers.
JOBS_BACKEND = os.environ.get("DAJIUZHU_JOBS", "celery" if PRODUCTION else ("inline" if TESTING else "thread"))
# The monthly indices and the warning scan fan out one job per county, or per township ("township":
# a county of a million people on several workers; docs/scaling.md section 5).
FAN_OUT_LEVEL = os.environ.get("DAJIUZHU_FAN_OUT_LEVEL", "county")
if FAN_OUT_LEVEL not in ("county", "township"):
    raise ImproperlyConfigured("DAJIUZHU_FAN_OUT_LEVEL must be 'county' or 'township'")
# Processes that validate and merge one registry file at once (PostgreSQL; 0: one per core, at most four).
IMPORT_WORKERS = int(os.environ.get("DAJIUZHU_IMPORT_WORKERS", "0"))
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL or "redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "dajiuzhu"
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True


def _beat_schedule() -> dict:
    """Periodic tasks: every app may contribute ``CELERY_BEAT_SCHEDULE`` in ``dajiuzhu/<app>/schedule.py``."""
    import importlib
    import importlib.util
    import warnings

    schedule: dict = {}
    for app in INSTALLED_APPS:
        if not app.startswith("dajiuzhu.") or importlib.util.find_spec(f"{app}.schedule") is None:
            continue
        try:
            module = importlib.import_module(f"{app}.schedule")
        except Exception as exc:  # noqa: BLE001 - a broken fragment must not stop the web process
            warnings.warn(f"{app}.schedule could not be imported: {exc}", stacklevel=1)
            continue
        schedule.update(getattr(module, "CELERY_BEAT_SCHEDULE", {}))
    return schedule


CELERY_BEAT_SCHEDULE = _beat_schedule()

# Open registry API (docs/exchange.md): callbacks to private or loopback addresses only outside production.
DCI_CALLBACK_ALLOW_PRIVATE = env_bool("DCI_CALLBACK_ALLOW_PRIVATE", not PRODUCTION)

# Money is rounded to the fen unless a county configures otherwise.
MONEY_PLACES = 2

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DAJIUZHU_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

NINJA_PAGINATION_PER_PAGE = 50

# SMS gateway (core.sms): console (the server log) in development, a file outbox in tests, tencent in production.
SMS_BACKEND = os.environ.get("DAJIUZHU_SMS_BACKEND", "file" if TESTING else "console")
SMS_FILE_PATH = Path(os.environ.get("DAJIUZHU_SMS_FILE", VAR_DIR / "sms" / "outbox.jsonl"))
SMS_TENCENT = {
    "secret_id": os.environ.get("DAJIUZHU_SMS_SECRET_ID", ""), "secret_key": os.environ.get("DAJIUZHU_SMS_SECRET_KEY", ""),
    "sdk_app_id": os.environ.get("DAJIUZHU_SMS_APP_ID", ""), "sign_name": os.environ.get("DAJIUZHU_SMS_SIGN_NAME", ""),
    "region": os.environ.get("DAJIUZHU_SMS_REGION", "ap-guangzhou"),
    "endpoint": os.environ.get("DAJIUZHU_SMS_ENDPOINT", "https://sms.tencentcloudapi.com"),
}
SMS_TEMPLATE_IDS = dict(part.split("=", 1) for part in env_list("DAJIUZHU_SMS_TEMPLATE_IDS") if "=" in part)
# Resident portal (掌上办): one-time codes and uploads.
PORTAL_COUNTY_CODE = os.environ.get("DAJIUZHU_PORTAL_COUNTY", "371424")  # the county of the anonymous estimate
PORTAL_CODE_TTL_SECONDS = int(os.environ.get("DAJIUZHU_PORTAL_CODE_TTL", "300"))
PORTAL_CODES_PER_PHONE_HOUR = int(os.environ.get("DAJIUZHU_PORTAL_CODES_PER_PHONE_HOUR", "5"))
PORTAL_CODES_PER_ADDRESS_HOUR = int(os.environ.get("DAJIUZHU_PORTAL_CODES_PER_ADDRESS_HOUR", "20"))
PORTAL_APPEAL_DAYS = int(os.environ.get("DAJIUZHU_PORTAL_APPEAL_DAYS", "60"))  # time to appeal a decision
PORTAL_UPLOAD_MAX_BYTES = int(os.environ.get("DAJIUZHU_PORTAL_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
PORTAL_UPLOAD_ROOT = Path(os.environ.get("DAJIUZHU_PORTAL_UPLOAD_ROOT", VAR_DIR / "portal-uploads"))
DEMO_PASSWORD = os.environ.get("DAJIUZHU_DEMO_PASSWORD", "Linyi-demo-2026")
PLATFORM_NAME = _("Dajiuzhu integrated social assistance")
