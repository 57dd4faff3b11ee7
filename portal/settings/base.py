"""Settings shared by every environment; everything site-specific comes from the environment.

Development uses this module as it is. ``production`` tightens it, ``test`` adjusts it for pytest.
"""

import datetime
import ipaddress
import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from portal.settings.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("DEBUG", default=True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# --- The council -----------------------------------------------------------------------------
# The portal is run by one council; its name, colours and home area are configuration.
COUNCIL_NAME = env_str("COUNCIL_NAME", "Lancashire County Council")
# The council's Public Procurement Organisation Number (Central Digital Platform): Procurement
# Act notices identify the council by it, and are not published without it.
COUNCIL_PPON = env_str("COUNCIL_PPON", "")
COUNCIL_SHORT_NAME = env_str("COUNCIL_SHORT_NAME", "Lancashire")
COUNCIL_BRAND_COLOUR = env_str("COUNCIL_BRAND_COLOUR", "#0b4f6c")
COUNCIL_ACCENT_COLOUR = env_str("COUNCIL_ACCENT_COLOUR", "#f2a900")
for _colour in (COUNCIL_BRAND_COLOUR, COUNCIL_ACCENT_COLOUR):
    # Colours go into the page's CSS, so only a plain #rrggbb value is accepted.
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", _colour):
        raise ImproperlyConfigured(f"Council colours must look like #0b4f6c, not {_colour!r}.")
COUNCIL_CONTACT_EMAIL = env_str("COUNCIL_CONTACT_EMAIL", "procurement@example.gov.uk")
# Local authority districts that make up the home area (the 12 districts of Lancashire CC).
HOME_AREA_DISTRICTS = env_list(
    "HOME_AREA_DISTRICTS",
    "Burnley,Chorley,Fylde,Hyndburn,Lancaster,Pendle,Preston,Ribble Valley,Rossendale,"
    "South Ribble,West Lancashire,Wyre",
)
HOME_REGION = env_str("HOME_REGION", "North West")

# --- Apps ------------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # the default widget templates, for TemplatesSetting below
    "django_tables2",
    "django_filters",
    "django_htmx",
    "portal",
    "spend",
    "suppliers",
    "contracts",
    "socialvalue",
    "diagnostics",
    "payments",
    "reports",
    "home",
    "demo",  # the demo data and its commands (make run); imports every app
]

MIDDLEWARE = [
    # X-Forwarded-For and X-Forwarded-Proto only from TRUSTED_PROXY_IPS (portal/proxy.py).
    "portal.proxy.ForwardedHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A Content-Security-Policy header with a nonce for each page's inline script and style.
    "portal.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A body size limit by who is asking (signed in or not), before anything reads the body.
    "portal.request_limits.RequestSizeLimitMiddleware",
    # Every page needs sign-in unless its view is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

# Send the Content-Security-Policy (portal/csp.py); always on in production.
CSP_ENABLED = env_bool("CSP_ENABLED", default=True)

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

# Widgets render with the project's templates, so the GOV.UK date input
# (templates/portal/widgets/) is ours, not a fork of Django's.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

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
                "portal.context_processors.council",
            ],
        },
    },
]

# --- Data ------------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True),
}
# A second connection to the same database so a job's progress is committed and visible while
# the job's own work is still inside one transaction (an import is atomic per file).
DATABASES["jobs"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
JOBS_DATABASE = "jobs"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        # Redis, but a Redis outage degrades to no cache rather than 500s (portal/cache.py).
        "BACKEND": "portal.cache.ForgivingRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "portal",
        # Fail fast when Redis is away, so pages are slow by a second at most, not hung.
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
    }
}

# --- Sign-in ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
LOGIN_URL = "portal:sign-in"
LOGIN_REDIRECT_URL = "home:home"
LOGOUT_REDIRECT_URL = "portal:sign-in"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed sign-ins allowed per email address and per client address before a pause.
SIGN_IN_MAX_FAILURES = env_int("SIGN_IN_MAX_FAILURES", 5)
SIGN_IN_LOCKOUT_SECONDS = env_int("SIGN_IN_LOCKOUT_SECONDS", 15 * 60)
SESSION_COOKIE_AGE = 8 * 60 * 60
# A password reset link works for a day (long enough for a new user's first password).
PASSWORD_RESET_TIMEOUT = 24 * 60 * 60
# The proxies in front of the portal (addresses or networks). X-Forwarded-For is believed only
# from these, so the client address sign-in throttling counts cannot be made up by a client.
# gunicorn reads the same variable (gunicorn.conf.py) for X-Forwarded-Proto.
TRUSTED_PROXY_IPS = env_list("TRUSTED_PROXY_IPS", "127.0.0.1,::1")
for _proxy in TRUSTED_PROXY_IPS:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXY_IPS holds {_proxy!r}, which is not an IP address or network."
        ) from None

# --- Jobs ------------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
# A task whose worker dies is put back on the queue rather than lost.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Europe/London"
# Schedules start jobs through portal.tasks.start_scheduled_job so each run leaves a Job record.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "housekeeping-nightly": {
        "task": "portal.start_scheduled_job",
        "schedule": 24 * 60 * 60,
        "args": ("portal.housekeeping", "Nightly housekeeping"),
    },
}

# --- Files -----------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media/"
# Largest upload accepted (invoice extracts run to tens of MB; a year of R12 is about 200 MB).
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 512 * 1024 * 1024)
# Largest request from someone not signed in (sign-in, public forms, invitation and supplier
# links: a social value evidence file is up to 10 MB). portal/request_limits.py refuses more.
ANONYMOUS_REQUEST_MAX_BYTES = env_int("ANONYMOUS_REQUEST_MAX_BYTES", 12 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 50

# --- Locale ----------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "portal@example.gov.uk")

DJANGO_TABLES2_TEMPLATE = "portal/tables/govuk_table.html"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint and fontTools narrate every step of every PDF at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Spend imports: an Oracle CSV extract of at least two chunks is cut into chunks of about this
# many bytes, parsed by this many child processes while the import merges earlier chunks
# (0: never). One core is left to the merge, which every chunk goes through, but at least two
# parse: on 2 CPUs one parser left the merge waiting (1M rows 44.9 s, two 37.8 s). 8 MB: a yearly
# extract (30-50 MB) and a monthly file (20-25 MB) are cut too (decision 0009).
SPEND_IMPORT_WORKERS = env_int("SPEND_IMPORT_WORKERS", min(4, max(2, (os.cpu_count() or 2) - 1)))
SPEND_IMPORT_CHUNK_BYTES = env_int("SPEND_IMPORT_CHUNK_BYTES", 8 * 1024 * 1024)
# A file of at least this many rows (estimated from its size) into a ledger holding fewer
# than half as many payments is loaded with spend_payment's secondary indexes dropped and
# built again before it commits: a sorted build of the whole table costs less than inserting
# that many rows into them (0: never; decision 0009). Readers of payments wait meanwhile.
SPEND_IMPORT_INDEX_REBUILD_ROWS = env_int("SPEND_IMPORT_INDEX_REBUILD_ROWS", 50_000)
# Payment dates an import accepts: from this date (ISO) to this many days after today. Outside
# it a date is a placeholder (Oracle's 31-DEC-9999) and the whole file is refused.
SPEND_EARLIEST_PAYMENT_DATE = datetime.date.fromisoformat(
    env_str("SPEND_EARLIEST_PAYMENT_DATE", "1990-04-01")
)
SPEND_PAYMENT_DAYS_AHEAD = env_int("SPEND_PAYMENT_DAYS_AHEAD", 365)

# The public Social Value Maturity Index test: starts allowed per client address per window,
# and the least time between starting and submitting for an anonymous response to count in
# the State of the nation (a person reads and answers 15 questions; a script does not).
SVMI_PUBLIC_STARTS_PER_CLIENT = env_int("SVMI_PUBLIC_STARTS_PER_CLIENT", 5)
SVMI_PUBLIC_STARTS_WINDOW_SECONDS = env_int("SVMI_PUBLIC_STARTS_WINDOW_SECONDS", 60 * 60)
SVMI_PUBLIC_MIN_SECONDS = env_int("SVMI_PUBLIC_MIN_SECONDS", 60)
