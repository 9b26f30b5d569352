"""Django settings, read from the environment (12-factor).

Embedded default (nothing to install): SQLite in ``REMPART_DATA_DIR`` and Celery's
``filesystem://`` broker in the same folder. Scale-out: ``DATABASE_URL=postgres://…`` and
``CELERY_BROKER_URL=redis://…``; the code is the same. ``docs/deploy.md`` lists every variable.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.utils.translation import gettext_lazy as _
from kombu.transport import TRANSPORT_ALIASES

from rempart.web.env import (
    database_from_url,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
)

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(
    env_str("REMPART_DATA_DIR", str(Path.home() / ".local" / "share" / "rempart"))
).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the data folder."""
    key = env_str("SECRET_KEY")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "rempart.web.orgs",
    "rempart.web.assets",
    "rempart.web.scans",
    "rempart.web.findings",
    "rempart.web.imports",
    "rempart.web.diagnostic",
    "rempart.web.reports",
    "rempart.web.portal",
    "rempart.web.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "rempart.web.orgs.middleware.StaffTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "rempart.web.urls"
WSGI_APPLICATION = "rempart.web.wsgi.application"
AUTH_USER_MODEL = "orgs.User"
LOGIN_URL = "orgs:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "orgs:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

DATABASES = {"default": database_from_url(env_str("DATABASE_URL"), DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2id first (OWASP's first choice for password storage); the others only verify old hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if env_bool("REMPART_FAST_HASHES", False):
    # Tests and benchmarks create thousands of users; MD5 is never used outside them.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling: failures per account and per client address within the window.
LOGIN_MAX_FAILURES = env_int("REMPART_LOGIN_MAX_FAILURES", 5)
LOGIN_FAILURE_WINDOW = env_int("REMPART_LOGIN_FAILURE_WINDOW", 900)
# Per client address the limit is higher: colleagues behind one office address share it.
LOGIN_MAX_FAILURES_PER_IP = env_int("REMPART_LOGIN_MAX_FAILURES_PER_IP", 4 * LOGIN_MAX_FAILURES)
# Only these reverse proxies are believed when they say who the client is (X-Forwarded-For).
REMPART_TRUSTED_PROXIES = env_list("REMPART_TRUSTED_PROXIES", [])
REMPART_INVITATION_DAYS = env_int("REMPART_INVITATION_DAYS", 7)

# E-mail (invitations). The console backend prints mails: right for one machine and the demo.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "rempart <noreply@localhost>")

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env_str("CACHE_URL")}
        if env_str("CACHE_URL")
        else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "rempart_cache"}
    )
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        # A session counts only once its two-factor step is passed (the portal's middleware
        # does not guard /api/).
        "rempart.web.api.authentication.TwoFactorSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "rempart.web.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "rempart API",
    "DESCRIPTION": "Organisations, verified assets, scans and findings of the rempart center.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Jobs --------------------------------------------------------------------------------
BROKER_DIR = DATA_DIR / "broker"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
# "filesystem://" is kombu's transport with messages written whole before they appear
# (rempart.web.broker), wherever a connection names it: the workers', the web's, a test's.
# An alias, not CELERY_BROKER_TRANSPORT, so that a Redis URL set later still means Redis.
TRANSPORT_ALIASES["filesystem"] = "rempart.web.broker:Transport"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        # kombu's default is "control" relative to the working directory: keep it ours.
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        # 50 ms: measured in design.md §3 (500 tasks < 5 s; at the 1 s default, 21 in 6 s).
        "polling_interval": env_float("REMPART_BROKER_POLL", 0.05),
    }
else:
    # Redis redelivers an unacknowledged task after this many seconds; the database reaper
    # (scans.services.do_requeue_stale) usually requeues a dead worker's scan sooner.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("REMPART_VISIBILITY_TIMEOUT", 3600),
    }
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env_bool("REMPART_TASKS_EAGER", False)
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    "requeue-stale-scans": {"task": "rempart.scans.requeue_stale", "schedule": 15.0},
    "schedule-due-scans": {"task": "rempart.scans.schedule_due", "schedule": 60.0},
    "requeue-stale-imports": {"task": "rempart.imports.requeue_stale", "schedule": 30.0},
}
# The official feeds (KEV, OSV, NVD, EPSS) are refreshed this often by the beat; 0 turns it
# off (an offline center runs `rempart feeds update --url …` from a mirror instead).
REMPART_FEEDS_UPDATE_HOURS = env_float("REMPART_FEEDS_UPDATE_HOURS", 24.0)
if REMPART_FEEDS_UPDATE_HOURS > 0:
    CELERY_BEAT_SCHEDULE["update-feeds"] = {
        "task": "rempart.feeds.update",
        "schedule": REMPART_FEEDS_UPDATE_HOURS * 3600.0,
    }
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

# --- Scanning ------------------------------------------------------------------------------
# Lab mode opens 127.0.0.0/8 to the engine and nothing else (design.md §4).
REMPART_LAB = env_bool("REMPART_LAB", False)
REMPART_RESOLVER = env_str("REMPART_RESOLVER")  # "host:port"; empty: the system resolver
REMPART_CA_FILE = env_str("REMPART_CA_FILE")  # extra trust anchor (the lab CA)
REMPART_SCAN_TIMEOUT = env_float("REMPART_SCAN_TIMEOUT", 5.0)
# 50: measured on the 200-business lab (bench/README.md): a batch holds its process until its
# slowest target ends, so batches of 10-20 idle the process on a few slow TLS probes
# (1.6-2.3x the engine alone); 50 gives 1.08x (SQLite) and 1.15x (PostgreSQL + Redis).
REMPART_SCAN_BATCH = env_int("REMPART_SCAN_BATCH", 50)
REMPART_SCAN_STALE_AFTER = env_int("REMPART_SCAN_STALE_AFTER", 120)
REMPART_SCAN_MAX_ATTEMPTS = env_int("REMPART_SCAN_MAX_ATTEMPTS", 3)
# A queued scan whose message is this old is presumed lost by the broker and sent again.
REMPART_SCAN_REQUEUE_QUEUED_AFTER = env_int("REMPART_SCAN_REQUEUE_QUEUED_AFTER", 600)

# --- Imports and feeds ---------------------------------------------------------------------
# Largest report accepted (upload, API, CLI); a bigger upload is cut off while it streams.
REMPART_IMPORT_MAX_BYTES = env_int("REMPART_IMPORT_MAX_BYTES", 512 * 1024 * 1024)
IMPORTS_DIR = DATA_DIR / "imports"
FILE_UPLOAD_HANDLERS = [
    "rempart.web.imports.uploads.LimitedUploadHandler",
    # Files go to a temporary file on disk beyond 2.5 MB, never whole into memory.
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Updated feeds (KEV, OSV, NVD, EPSS); the package's dated snapshot is used until then.
FEEDS_DIR = Path(env_str("REMPART_FEEDS_DIR", str(DATA_DIR / "feeds")))

# --- Reports and attestations ----------------------------------------------------------------
REPORTS_DIR = Path(env_str("REMPART_REPORTS_DIR", str(DATA_DIR / "reports")))
# The center's Ed25519 signing key (PEM, created with mode 0600 on first use); its public half
# is published at /attestations/key.pem.
REMPART_SIGNING_KEY_FILE = Path(
    env_str("REMPART_SIGNING_KEY_FILE", str(DATA_DIR / "attestation-ed25519.pem"))
)
# Largest file the public verification page accepts (a report PDF with its attestation).
REMPART_ATTESTATION_MAX_BYTES = env_int("REMPART_ATTESTATION_MAX_BYTES", 5 * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
