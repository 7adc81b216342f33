"""Kernteam settings. With no environment: SQLite in the project folder, in-memory channels.

Production sets DATABASE_URL (PostgreSQL), REDIS_URL (channels-redis), SECRET_KEY,
ALLOWED_HOSTS, and uses config.production for the hardening.
"""

import datetime
import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONE, SELF
from django.core.management.utils import get_random_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()


def _embedded_secret_key() -> str:
    """A per-installation key kept next to the SQLite file, created on first start."""
    path = BASE_DIR / ".secret_key"
    if not path.exists():
        path.write_text(get_random_secret_key())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env("SECRET_KEY", default=None) or _embedded_secret_key()
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "kernteam.apps.KernteamAdminConfig",  # django.contrib.admin with the site of kernteam
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "template_partials",
    "django_fsm",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",  # recovery codes
    "django_tasks",
    "django_tasks_db",
    "kernteam",
    "clients",
    "steps",
    "frontend",
    "demo",
]

# The middleware that can run async comes first, then all that runs sync only: under ASGI a
# request then crosses from the event loop to the sync thread once. (With the access log's
# sync middleware between async-capable ones, every API call crossed four times.)
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # (wraps everything inside: sees every sign-in)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "frontend.middleware.DutchFirstLocaleMiddleware",
    "frontend.input_guard.RefuseNulMiddleware",  # (after the language: it answers in Dutch)
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "frontend.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "frontend.access.AccessLogMiddleware",
    "frontend.idempotency.OnceOnlyMiddleware",  # (inside the log: reads what it noted)
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "frontend.context_processors.layout",
            ],
        },
    },
]


def pooled(database: dict) -> dict:
    """PostgreSQL with a connection pool per worker process. Under ASGI Django advises against
    persistent connections; a pool keeps a few open instead (opening one cost a live board's
    connect ~40% of its time, and every request a few ms: docs/performance.md). Keep
    workers × KERNTEAM_DB_POOL_MAX under PostgreSQL's max_connections (100 by default).
    KERNTEAM_DB_POOL=0 turns it off."""
    database["CONN_MAX_AGE"] = 0  # (the pool requires it)
    if env.bool("KERNTEAM_DB_POOL", default=True):
        database.setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("KERNTEAM_DB_POOL_MIN", default=2),
            "max_size": env.int("KERNTEAM_DB_POOL_MAX", default=10),
            "timeout": 10,
        }
    return database


DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue for the lock at BEGIN instead of failing halfway through a move.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"] = pooled(DATABASES["default"])

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    from redis.asyncio.retry import Retry
    from redis.backoff import ConstantBackoff

    # After an outage, reconnect within a second of Redis being back (redis-py's default
    # backs off for up to 10 s between tries, which boards would wait for).
    _redis_retry = Retry(ConstantBackoff(0.5), 2)
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL, "retry": _redis_retry}]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Django's cache: API tokens → user and roles (frontend.api.token_cache). With Redis it is one
# cache for every worker (a revoked token counts at once in all of them); without, the one
# process's memory (the embedded default runs one process).
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kernteam",
            # Redis down or frozen: a request asks the database after half a second at most.
            "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }
# Seconds between the "live" heartbeats an open board hears (kernteam.events.Heartbeat); a
# board that hears none for this long plus a few seconds says it is offline and reconnects.
KERNTEAM_LIVE_HEARTBEAT = env.float("KERNTEAM_LIVE_HEARTBEAT", default=10.0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "frontend.sign_in.NotLikeThePerson"},  # (Django's, worded for Dutch)
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # counts failed sign-ins, locks out after a few
    "frontend.sign_in.CarerEmailBackend",  # carers sign in with their e-mail address
    "django.contrib.auth.backends.ModelBackend",
]
# Failures block a name at one address after 5, and an address for every name after 20 (many
# names tried from one place): kernteam/throttle.py.
KERNTEAM_LOGIN_ATTEMPTS = env.int("KERNTEAM_LOGIN_ATTEMPTS", default=5)
KERNTEAM_LOGIN_ATTEMPTS_PER_ADDRESS = env.int("KERNTEAM_LOGIN_ATTEMPTS_PER_ADDRESS", default=20)
AXES_FAILURE_LIMIT = "kernteam.throttle.failure_limit"
AXES_HANDLER = "kernteam.throttle.SignInThrottle"
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("KERNTEAM_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_USERNAME_CALLABLE = "frontend.sign_in.sign_in_name"  # a carer's address: their account
AXES_RESET_ON_SUCCESS = True  # (that name at that address only: SignInThrottle)
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "kernteam.access_log.client_ip"
# How many reverse proxies in front of the app add to X-Forwarded-For (0: none, use the peer).
KERNTEAM_TRUSTED_PROXIES = env.int("KERNTEAM_TRUSTED_PROXIES", default=0)

# Professionals confirm their sign-in with a code from an authenticator app (TOTP). Enforced
# by config.production; off by default for the embedded demo.
KERNTEAM_REQUIRE_2FA = env.bool("KERNTEAM_REQUIRE_2FA", default=False)
OTP_TOTP_ISSUER = "Kernteam"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows a device's secret key

# Signed-in sessions end after this much inactivity (every request renews them), and when the
# browser closes.
SESSION_COOKIE_AGE = 60 * env.int("KERNTEAM_SESSION_MINUTES", default=30)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# No inline script, no inline style, nothing from another origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", "Nederlands"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)  # seconds: a stuck server fails the try
# The sender of invitations and enrolment links (a carer sees this name in their inbox).
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Kernteam <noreply@kernteam.localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# Links in mails (notifications, invitations sent by the worker) start with this address.
KERNTEAM_BASE_URL = env("KERNTEAM_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
# The FHIR base: resource ids (fullUrl), the canonical URLs of Kernteam's own code systems and
# extensions, and the read-only FHIR addresses this server answers (`<base><Type>/<id>`).
# Stable: an integrator's server stores these addresses.
KERNTEAM_FHIR_BASE = (
    env("KERNTEAM_FHIR_BASE", default=f"{KERNTEAM_BASE_URL}/fhir").rstrip("/") + "/"
)


def public_fhir_base_problem(base: str) -> str | None:
    """Why `base` cannot be a deployment's KERNTEAM_FHIR_BASE (config.production refuses to
    start then), or None: it must be set, https, and name a host integrators reach (not a
    loopback or unspecified address, not localhost)."""
    if not base:
        return "is not set"
    parts = urlsplit(base)
    if parts.scheme != "https":
        return "is not an https address"
    host = (parts.hostname or "").rstrip(".")
    if not host or host == "localhost" or host.endswith(".localhost"):
        return "names no host, or localhost"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if address.is_loopback or address.is_unspecified:
        return "names a loopback or unspecified address"
    return None


# Subscriptions (change notifications) post to https endpoints only; this allows
# http://127.0.0.1 / localhost as well (a receiver on the same machine, the tests'), never
# another host.
KERNTEAM_WEBHOOK_ALLOW_HTTP_LOCALHOST = env.bool(
    "KERNTEAM_WEBHOOK_ALLOW_HTTP_LOCALHOST", default=False
)
# Background work (sending mail): Django's Tasks framework with its database backend, on
# SQLite as on PostgreSQL; `manage.py worker` runs it (and plans the digests and reminders).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# The members' daily digest goes out from this hour (Europe/Amsterdam) on.
KERNTEAM_DIGEST_HOUR = env.int("KERNTEAM_DIGEST_HOUR", default=7)

# `seed_demo` creates accounts with a published password: by default only on the embedded
# SQLite database (KERNTEAM_DEMO=1 allows it elsewhere, e.g. for benchmarks), never under
# production settings.
KERNTEAM_DEMO_ALLOWED = env.bool(
    "KERNTEAM_DEMO", default=DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
)

# Frailty cut-off for the GFI: regions use 4 or 5 (shared/domain.md).
KERNTEAM_GFI_CUTOFF = env.int("KERNTEAM_GFI_CUTOFF", default=4)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "not_a_conflict": {"()": "config.log_filters.NotAConflict"},
        "live_outage": {"()": "kernteam.events.OutageLogFilter"},  # one warning per outage
    },
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.request": {"filters": ["not_a_conflict"]},
        "channels_redis.pubsub": {"filters": ["live_outage"]},
    },
}

# --- API (/api/v1/): session sign-in (browser, with CSRF) or a personal token ------------------
# Tokens are django-rest-knox's: only a hash is stored, each expires, and one can be revoked.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "frontend.api.auth.TokenAuthentication",
        "frontend.api.auth.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["frontend.api.permissions.IsProfessional"],
    "DEFAULT_PAGINATION_CLASS": "frontend.api.pagination.Pages",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["frontend.api.parsers.JSONParser"],  # (with limits)
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "frontend.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
REST_KNOX = {
    "TOKEN_TTL": datetime.timedelta(days=env.int("KERNTEAM_API_TOKEN_DAYS", default=30)),
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kernteam API",
    "DESCRIPTION": (
        "Stepped care for frail older people living at home (Kernteams Ouderen, South Limburg). "
        "The same access rules and access log as the web pages apply: a resident you may not "
        "see answers 404."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "TAGS": [
        {"name": tag}
        for tag in (
            *("teams", "residents", "transitions", "assessments", "goals", "actions"),
            *("concerns", "meetings", "fhir", "auth"),
        )
    ],
    "ENUM_NAME_OVERRIDES": {
        "StateEnum": "steps.states.State.choices",
        "RoleEnum": "kernteam.roles.Role.choices",
        "ClosureReasonEnum": "steps.states.ClosureReason.choices",
        "TransitionEnum": "frontend.api.serializers.TRANSITIONS",
        "GoalStatusEnum": "frontend.api.serializers.GOAL_STATUSES",
        "ActionStatusEnum": "frontend.api.serializers.ACTION_STATUSES",
        "MeetingStatusEnum": "frontend.api.serializers.MEETING_STATUSES",
        "PlaceEnum": "clients.care_planning.Place.choices",
        "PlaceOfDeathEnum": "steps.outcomes.RECORDABLE_PLACE_CHOICES",
        "ReferralStatusEnum": "steps.referrals.ReferralStatus.choices",
        "CandidateStatusEnum": "clients.casefinding.Status.choices",
        "CandidateStatusSetEnum": "frontend.api.casefinding_serializers.SETTABLE_CHOICES",
    },
}
