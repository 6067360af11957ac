"""OneWindow settings.

Every setting comes from the environment (django-environ). With no environment at all the
project runs with embedded defaults: a SQLite file, Celery tasks executed eagerly, console
e-mail and SMS. Production sets DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY, ALLOWED_HOSTS
and DEBUG=0.
"""

import datetime as dt
import ipaddress
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env(
    DEBUG=(bool, True),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost", "[::1]"]),
    CSRF_TRUSTED_ORIGINS=(list, []),
    TIME_ZONE=(str, "Asia/Shanghai"),
    CELERY_TASK_ALWAYS_EAGER=(bool, None),
    SMS_BACKEND=(str, "notifications.backends.ConsoleSMSBackend"),
    SECURE_SSL_REDIRECT=(bool, True),
)
# An optional .env file for local overrides; never required.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DEBUG = env("DEBUG")
# The embedded default is for a laptop only: with DEBUG=0 the system check refuses it (and any
# key shorter than 50 characters) at start-up (core/checks.py).
SECRET_KEY = env(
    "SECRET_KEY",
    default="dev-only-insecure-key-change-me-in-production-0123456789abcdefghij",
)
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env("CSRF_TRUSTED_ORIGINS")
# A form posted after its cookie expired gets a page saying to reload it (core/views/errors.py).
CSRF_FAILURE_VIEW = "core.views.errors.csrf_failure"

INSTALLED_APPS = [
    # The admin's default site requires the second factor (accounts/admin_site.py).
    "accounts.admin_site.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "csp",
    "template_partials",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "core",
    "accounts",
    "services",
    "appointments",
    "queues",
    "documents",
    "feedback",
    "notifications",
    "reports",
]

MIDDLEWARE = [
    # Outermost: the request id (X-Request-ID, in every log line) and the request's timing
    # (core/observability.py, core/metrics.py).
    "core.observability.RequestIdMiddleware",
    "core.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The line in front of the booking paths at release time, before sessions and sign-in: a
    # waiting answer must cost next to nothing (core/waiting_room.py).
    "core.waiting_room.WaitingRoomMiddleware",
    # Token-authenticated API writes named in API_LANES skip the middlewares below that do
    # nothing for them (API_LANE_SKIPS; core/api_lane.py).
    "core.api_lane.ApiLaneMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, the signed-in user's row read in one plain statement (accounts/session_user.py).
    "accounts.session_user.AuthenticationMiddleware",
    # django-otp's OTPMiddleware, with the device check and the staff roles cached per session.
    "accounts.staff_context.StaffOTPMiddleware",
    # Who makes the changes the actions record (accounts/audit_changes.py).
    "accounts.audit_changes.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.StaffIdleTimeoutMiddleware",
    "accounts.middleware.StaffSecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Cache-Control: private, no-store unless a view says otherwise (core/middleware.py).
    "core.middleware.PrivateCacheMiddleware",
    # 长辈版: request.elder_mode from the ow_elder cookie or ?elder=1 (core/middleware.py).
    "core.middleware.ElderModeMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]
# The views whose common case takes the short chain (URL name → lane), and the middlewares after
# ApiLaneMiddleware that the short chain leaves out: a POST with a token and no session cookie
# has no session, no signed-in user (AnonymousUser is set), no CSRF check (the API is exempt), no
# messages, no staff checks, no 长辈版 cookie, no htmx and no lockout page. Every other
# middleware runs on the lane too (core/api_lane.py).
API_LANES = {"api-booking-create": "appointments.api.booking_fast_lane"}
API_LANE_SKIPS = frozenset(
    {
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "accounts.session_user.AuthenticationMiddleware",
        "accounts.staff_context.StaffOTPMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "accounts.middleware.StaffIdleTimeoutMiddleware",
        "accounts.middleware.StaffSecondFactorMiddleware",
        "core.middleware.ElderModeMiddleware",
        "django_htmx.middleware.HtmxMiddleware",
        "axes.middleware.AxesMiddleware",
    }
)

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
# The push server (Server-Sent Events under uvicorn; core/push.py, docs/deploy.md "Pushed updates").
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a request writes; the timeout waits out short locks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL;",
            # Take the write lock when a transaction starts, so two bookings queue up instead of
            # one failing on a lock upgrade.
            "transaction_mode": "IMMEDIATE",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend; the health check asks `SELECT 1` only when the socket shows that
        # the server closed or is closing the connection (core/postgresql/base.py).
        DATABASES["default"]["ENGINE"] = "core.postgresql"
    # PgBouncer in transaction pooling mode in front of PostgreSQL (make cluster, docs/deploy.md):
    # each transaction may get another server connection, so no server-side cursors (they live
    # across transactions); OneWindow keeps no other session state on the connection.
    if env.bool("DB_TRANSACTION_POOLING", default=False):
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# Axes first (refuses locked-out sign-ins), then staff roles (accounts/constants; asked first
# for permissions, from the grants read once per request), then passwords (and Django's own
# permissions, asked only when no role grants the permission).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.RoleBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Languages: Simplified Chinese first, English second. Page URLs carry the language prefix.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env("TIME_ZONE")
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Residents' uploads (core/uploads.py): outside the web root, served only by views that check who
# asks. Several web nodes share it (a network file system); back it up with the database.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "private")
# Key material kept as files (the demo signing keys; production key files if you keep them as
# files): a directory of its own, outside MEDIA_ROOT and PRIVATE_MEDIA_ROOT, so the media backup
# never carries a key (docs/deploy.md "Backup and restore"). Never served, never backed up with
# the data; the keys are kept in the password safe.
KEYS_DIR = env.path("KEYS_DIR", default=BASE_DIR / "keys")
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Residents' uploads and the certificate PDFs (core.uploads.private_storage): never served by URL,
# streamed only by views that check who asks. The file system under PRIVATE_MEDIA_ROOT by default
# (several web nodes share it over NFS); an S3-compatible bucket (S3, MinIO, Aliyun OSS, Tencent
# COS) through django-storages when PRIVATE_STORAGE_BUCKET is set (docs/deploy.md "Shared files").
PRIVATE_STORAGE_BUCKET = env.str("PRIVATE_STORAGE_BUCKET", default="")
STORAGES["private"] = (
    {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": PRIVATE_STORAGE_BUCKET,
            "endpoint_url": env.str("PRIVATE_STORAGE_ENDPOINT", default="") or None,
            "region_name": env.str("PRIVATE_STORAGE_REGION", default="") or None,
            "access_key": env.str("PRIVATE_STORAGE_ACCESS_KEY", default="") or None,
            "secret_key": env.str("PRIVATE_STORAGE_SECRET_KEY", default="") or None,
            "location": env.str("PRIVATE_STORAGE_PREFIX", default="private"),
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }
    if PRIVATE_STORAGE_BUCKET
    else {"BACKEND": "core.uploads.PrivateStorage"}
)

# The dev server and tests find static files through the finders; production serves collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Rate limits (API throttles, look-up and verification limits) count in the default cache. The
# embedded default is per process; with DEBUG=0 the system check refuses a local-memory or dummy
# cache at start-up (core/checks.py): production sets CACHE_URL=rediscache://host:6379/1.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://onewindow")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # The same backend, one client object per pool instead of one per call (core/cache.py).
    CACHES["default"]["BACKEND"] = "core.cache.RedisCache"
    # Sessions read from the shared cache, written through to the database (Django's cached_db):
    # no SELECT per request. Only with a cache all processes share: a per-process cache would
    # keep a signed-out session alive in the other processes. accounts/session_store.py is
    # cached_db whose read brings a staff member's standing along (one round trip, not two).
    SESSION_ENGINE = "accounts.session_store"

# Celery: eager in the embedded default, a real broker when CELERY_BROKER_URL is set.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
_eager = env("CELERY_TASK_ALWAYS_EAGER")
CELERY_TASK_ALWAYS_EAGER = (CELERY_BROKER_URL == "memory://") if _eager is None else _eager
# Several installations may share one Redis: each names its own queue.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# Beat: one in the whole installation, enforced by a lock in Redis (celery-redbeat): every node
# may run a beat; the one holding the lock sends, the others wait to take over. The schedule
# itself stays static in config/celery.py; redbeat keeps its state (last run of each entry) in
# Redis, so a beat that takes over does not send again what the previous one sent.
_redis_broker = CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
CELERY_BEAT_SCHEDULER = env(
    "CELERY_BEAT_SCHEDULER",
    default="redbeat.RedBeatScheduler" if _redis_broker else "celery.beat:PersistentScheduler",
)
CELERY_REDBEAT_REDIS_URL = env("CELERY_REDBEAT_REDIS_URL", default=CELERY_BROKER_URL)
CELERY_REDBEAT_REDIS_OPTIONS = {"socket_connect_timeout": 5, "socket_timeout": 10}
CELERY_REDBEAT_KEY_PREFIX = env("CELERY_REDBEAT_KEY_PREFIX", default="onewindow:redbeat:")
# The lock lives this long unless renewed; the holder renews it at every tick (at most every
# CELERY_BEAT_MAX_LOOP_INTERVAL seconds), so a dead beat is replaced within this time.
CELERY_REDBEAT_LOCK_TIMEOUT = env.int("CELERY_REDBEAT_LOCK_TIMEOUT", default=30)
CELERY_BEAT_MAX_LOOP_INTERVAL = env.int("CELERY_BEAT_MAX_LOOP_INTERVAL", default=5)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
# A task unacknowledged for this long goes back to the queue (Redis has no real acks). It must
# exceed the longest run (the hard time limit, 300 s) plus the longest retry countdown a worker
# holds unacknowledged (retry_backoff_max, 600 s), or a slow task would run twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "socket_connect_timeout": 5,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task whose worker died under it this many times is a poison message: recorded as failed
# in core.TaskDelivery, never run again (core/tasks.py).
CELERY_TASK_MAX_DELIVERIES = env.int("CELERY_TASK_MAX_DELIVERIES", default=3)
# The transactional outbox (core/outbox.py, docs/deploy.md "The outbox"). A row whose worker
# died is handed out again when its lease expires: the lease outlasts the soft time limit
# (240 s, the task stops itself) and, with the relay's 2 s period, stays under 5 minutes.
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=270)
OUTBOX_RELAY_BATCH = env.int("OUTBOX_RELAY_BATCH", default=200)
# After the commit's fast path or a relay hand-over, how long a row waits for a worker before
# the relay hands it out again.
OUTBOX_DISPATCH_GRACE_SECONDS = env.int("OUTBOX_DISPATCH_GRACE_SECONDS", default=30)
# The fast path: the web process hands a row to the broker right after its commit. On where
# Celery is eager (make run, tests: the work is done at once); off in production, where the
# relay (every 2 s) hands rows out, so a request never waits on or spends CPU for the broker.
OUTBOX_HAND_OVER_AFTER_COMMIT = env.bool(
    "OUTBOX_HAND_OVER_AFTER_COMMIT", default=CELERY_TASK_ALWAYS_EAGER
)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
OUTBOX_BACKOFF_SECONDS = env.int("OUTBOX_BACKOFF_SECONDS", default=10)  # 10 s, 20 s, 40 s …
OUTBOX_BACKOFF_MAX_SECONDS = env.int("OUTBOX_BACKOFF_MAX_SECONDS", default=600)
# /readyz lists a warning (it stays 200) when an unfinished row is older than this.
OUTBOX_WARN_AGE_SECONDS = env.int("OUTBOX_WARN_AGE_SECONDS", default=900)
OUTBOX_KEEP_DONE_HOURS = env.int("OUTBOX_KEEP_DONE_HOURS", default=24)
OUTBOX_KEEP_FAILED_DAYS = env.int("OUTBOX_KEEP_FAILED_DAYS", default=30)
CELERY_TIMEZONE = TIME_ZONE
# Workers keep LOGGING below (its handlers mask ID numbers) instead of installing their own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# ---- Pushed updates (core/push.py, queues/streams.py) --------------------------------------------
# Screens, boards, the live office view and the ticket page listen to /push/… (Server-Sent
# Events, served by config/asgi.py under uvicorn) and poll only when that fails. With
# PUSH_REDIS_URL the messages go through Redis pub/sub (channels-redis), so any process may
# publish and any push server may serve; without it (make run) the dev server does both in one
# process. Pub/sub channels ignore the Redis database number: PUSH_PREFIX keeps installations
# sharing one Redis apart.
PUSH_REDIS_URL = env("PUSH_REDIS_URL", default="")
PUSH_PREFIX = env("PUSH_PREFIX", default="onewindow")
# Where pages find the push server: "" when a proxy routes /push/ to it behind the same address
# (docs/deploy.md); else its origin, e.g. http://127.0.0.1:8001 (make prod without a proxy).
PUSH_URL = env("PUSH_URL", default="").rstrip("/")
PUSH_STREAM_SECONDS = env.int("PUSH_STREAM_SECONDS", default=600)  # then the browser reconnects
PUSH_RETRY_MS = env.int("PUSH_RETRY_MS", default=2000)  # the browser's reconnection delay
PUSH_WATCHDOG_SECONDS = env.float("PUSH_WATCHDOG_SECONDS", default=3.0)
CHANNEL_LAYERS = {
    "default": (
        {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": PUSH_REDIS_URL, "socket_connect_timeout": 1}],
                       "prefix": PUSH_PREFIX},
        }
        if PUSH_REDIS_URL
        else {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    )
}  # fmt: skip

# E-mail and SMS: console in the embedded default, pluggable through the environment.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="OneWindow <noreply@onewindow.local>")
SMS_BACKEND = env("SMS_BACKEND")
# The signature registered with the SMS gateway (短信签名): notifications.actions signs every SMS.
SMS_SIGNATURE = env("SMS_SIGNATURE", default="【一窗通办】")

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Counted by core.client_ip (never DRF's default, which believes a forged X-Forwarded-For).
    "DEFAULT_THROTTLE_CLASSES": ["core.throttles.AnonIpRateThrottle"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.LimitedJSONParser"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_ANON_RATE", default="600/minute"),
        "api_client": env("API_CLIENT_RATE", default="120/minute"),
        "api_lookup": env("API_LOOKUP_RATE", default="20/minute"),
        "api_lookup_client": env("API_LOOKUP_CLIENT_RATE", default="300/minute"),
    },
    # Partner systems write with `Authorization: Token …` (manage.py create_api_client).
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.api_auth.ApiClientAuthentication"],
    "EXCEPTION_HANDLER": "core.api.exception_handler",
}
# How long a process keeps an API client (accounts/api_auth.py) or an active service it read for
# the booking API (appointments.selectors.service_for_booking): a revoked token or a withdrawn
# service is refused everywhere within this many seconds; 0 reads them at every request.
API_LOOKUP_CACHE_SECONDS = env.int("API_LOOKUP_CACHE_SECONDS", default=5)
SPECTACULAR_SETTINGS = {
    "TITLE": "OneWindow API",
    "DESCRIPTION": (
        "Public API of OneWindow (一窗通办): the service catalogue, offices, appointment slots "
        "and bookings. Reads are public; writes need an API client token "
        "(`Authorization: Token …`, from `manage.py create_api_client NAME`). Names follow "
        "`Accept-Language` (zh-Hans by default, en)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc are served from the installed sidecar package, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several components have a `status`; the booking keeps the name it had before the others.
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "appointments.constants.BookingStatus",
        "VerificationStatusEnum": "documents.constants.CheckResult",
    },
}

# Security: strict in production (DEBUG=0), relaxed for the local dev server.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Load balancers probe over plain http: the health endpoints answer without the HTTPS redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env("SECURE_SSL_REDIRECT")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Booking rules (appointments/): every limit a city may want to change.
BOOKING = {
    "DAILY_LIMIT_PER_PERSON": env.int("BOOKING_DAILY_LIMIT", default=2),
    "CANCEL_EMBARGO_MINUTES": env.int("BOOKING_CANCEL_EMBARGO_MINUTES", default=30),
    "NO_SHOW_LIMIT": env.int("BOOKING_NO_SHOW_LIMIT", default=3),
    "NO_SHOW_WINDOW_DAYS": env.int("BOOKING_NO_SHOW_WINDOW_DAYS", default=90),
    "NO_SHOW_BAN_DAYS": env.int("BOOKING_NO_SHOW_BAN_DAYS", default=30),
    "WAITLIST_OFFER_MINUTES": env.int("BOOKING_WAITLIST_OFFER_MINUTES", default=120),
    "REMINDER_HOUR": env.int("BOOKING_REMINDER_HOUR", default=9),
    # How often cancelled places past their embargo come back and expired offers move on (the
    # beat job appointments-release-embargoed, config/celery.py).
    "RELEASE_EVERY_SECONDS": env.int("BOOKING_RELEASE_EVERY_SECONDS", default=60),
}
QUEUES = {
    "CHECK_IN_BEFORE_MINUTES": env.int("QUEUE_CHECK_IN_BEFORE_MINUTES", default=30),
    # The kiosk stops giving walk-in tickets this long before each closing time.
    "WALK_IN_CUTOFF_MINUTES": env.int("QUEUE_WALK_IN_CUTOFF_MINUTES", default=30),
    "CHECK_IN_GRACE_MINUTES": env.int("QUEUE_CHECK_IN_GRACE_MINUTES", default=15),
    "BOOKED_LEAD_MINUTES": env.int("QUEUE_BOOKED_LEAD_MINUTES", default=10),
    "PRIORITY_AGE": env.int("QUEUE_PRIORITY_AGE", default=65),
    "SMS_WHEN_AHEAD": env.int("QUEUE_SMS_WHEN_AHEAD", default=3),
    "DEFAULT_TARGET_MINUTES": env.int("QUEUE_DEFAULT_TARGET_MINUTES", default=15),
}
# Document requests (documents/): escalation to the office managers, the fresh second factor
# that approving, revoking and confirming ask for, and the size of one uploaded material.
DOCUMENTS = {
    "ESCALATE_WITHIN_WORKING_DAYS": env.int("DOCUMENTS_ESCALATE_WITHIN_WORKING_DAYS", default=1),
    "FRESH_SECOND_FACTOR_MINUTES": env.int("DOCUMENTS_FRESH_SECOND_FACTOR_MINUTES", default=5),
    "API_MATERIAL_MAX_BYTES": env.int("DOCUMENTS_API_MATERIAL_MAX_BYTES", default=5 * 1024 * 1024),
}


def _dev_site_url() -> str:
    """Where `make run` serves (it passes HOST and PORT): a wildcard address is reached locally."""
    host = env("HOST", default="127.0.0.1")
    host = "127.0.0.1" if host in ("0.0.0.0", "::", "[::]") else host  # noqa: S104
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{env('PORT', default='8000')}"


# The public address in every link that leaves the site: SMS, e-mail, PDFs, calendar files and
# QR codes (core/links.py). Production must set it (a system check fails without it); the dev
# server's links follow the address it is served on.
SITE_URL = env("SITE_URL", default="").rstrip("/") or (_dev_site_url() if DEBUG else "")
# Evaluations (好差评) and the director's mailbox (局长信箱), feedback/.
FEEDBACK = {
    "INVITATION_DAYS": env.int("FEEDBACK_INVITATION_DAYS", default=7),
    "CASE_WORKING_DAYS": env.int("FEEDBACK_CASE_WORKING_DAYS", default=5),
    "MAILBOX_WORKING_DAYS": env.int("FEEDBACK_MAILBOX_WORKING_DAYS", default=15),
    "MAILBOX_PER_ADDRESS_PER_HOUR": env.int("FEEDBACK_MAILBOX_PER_ADDRESS_PER_HOUR", default=5),
    "FOLLOW_PER_ADDRESS_PER_10_MINUTES": env.int("FEEDBACK_FOLLOW_PER_10_MINUTES", default=60),
}
# Retention (docs/deploy.md "Retention"): personal data is anonymised, records the law wants
# kept are purged once their period ends; Celery beat applies it nightly (config/celery.py).
RETENTION = {
    # Bookings, waiting lists, queue tickets, evaluations, mailbox items: days after the visit.
    "PERSONAL_DATA_DAYS": env.int("RETENTION_PERSONAL_DATA_DAYS", default=180),
    # The outbox keeps verification codes and addresses: its texts go sooner.
    "MESSAGE_DAYS": env.int("RETENTION_MESSAGE_DAYS", default=30),
    # Document requests and certificates: 5 years after the decision.
    "DOCUMENT_DAYS": env.int("RETENTION_DOCUMENT_DAYS", default=5 * 365),
    # Audit entries: 3 years (the Cybersecurity Law asks at least 6 months of logs).
    "AUDIT_DAYS": env.int("RETENTION_AUDIT_DAYS", default=3 * 365),
    "BATCH_SIZE": env.int("RETENTION_BATCH_SIZE", default=500),
}

# The audit trail's sealer (accounts/audit_seal.py, docs/deploy.md "The sealed audit trail"):
# entries per sealed batch, and how long one run waits for the transactions still writing
# entries before it leaves them to the next run.
AUDIT_SEAL = {
    "BATCH": env.int("AUDIT_SEAL_BATCH", default=1000),
    "WAIT_SECONDS": env.float("AUDIT_SEAL_WAIT_SECONDS", default=2.0),
}
# The append-only export of the signed batch heads (audit-heads.jsonl): outside the database, on
# each worker machine that seals; ship it to storage the database's administrators cannot rewrite.
AUDIT_HEAD_EXPORT_DIR = env.path("AUDIT_HEAD_EXPORT_DIR", default=BASE_DIR / "var" / "audit-heads")

# Personal data at rest (core/crypto.py): see README for generating keys.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
PII_HMAC_KEY = env("PII_HMAC_KEY", default="")

# The issuer's keys (core/signing.py): PAdES signing of certificate PDFs and the Ed25519 key of
# the certificates' QR payloads. Each value is a file path or the PEM itself. Unset, demo keys
# are generated once into SIGNING_DEMO_DIR (never for production: `check --deploy` warns).
DOCUMENT_SIGNING_KEY = env("DOCUMENT_SIGNING_KEY", default="")
DOCUMENT_SIGNING_CERT = env("DOCUMENT_SIGNING_CERT", default="")
DOCUMENT_SIGNING_CHAIN = env("DOCUMENT_SIGNING_CHAIN", default="")
DOCUMENT_SIGNING_KEY_PASSWORD = env("DOCUMENT_SIGNING_KEY_PASSWORD", default="")
CERTIFICATE_QR_KEY = env("CERTIFICATE_QR_KEY", default="")
CERTIFICATE_QR_RETIRED_PUBLIC_KEYS = env.list("CERTIFICATE_QR_RETIRED_PUBLIC_KEYS", default=[])
# Installs made before KEYS_DIR generated their demo keys into PRIVATE_MEDIA_ROOT/signing: they
# keep using them there until moved (`make prod` moves them; `check --deploy` warns meanwhile).
_LEGACY_SIGNING_DIR = Path(PRIVATE_MEDIA_ROOT) / "signing"
SIGNING_DEMO_DIR = env.path(
    "SIGNING_DEMO_DIR",
    default=(
        _LEGACY_SIGNING_DIR
        if any(_LEGACY_SIGNING_DIR.glob("*.pem")) and not (Path(KEYS_DIR) / "signing").exists()
        else Path(KEYS_DIR) / "signing"
    ),
)
# Certificates (documents/): verification attempts per address per minute on /verify/.
CERTIFICATES = {
    "VERIFY_PER_MINUTE": env.int("CERTIFICATE_VERIFY_PER_MINUTE", default=20),
}

# Staff sign-in (accounts/): password, then a TOTP code or a backup code. Staff sessions end
# after STAFF_IDLE_MINUTES without a request, and every session when the browser closes.
STAFF_IDLE_MINUTES = env.int("STAFF_IDLE_MINUTES", default=15)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
OTP_TOTP_ISSUER = "OneWindow"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows a TOTP secret or backup code
# django-axes: failures count per username *and* address, so one proxy address in front of
# many clerks cannot lock everybody out; a system administrator lifts a lock in the admin.
AXES_VERBOSE = False  # no banner on every management command
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.views.staff.staff_lockout"
# Reverse proxies in front of the app (0: the client connects directly). The client address is
# then the one the outermost trusted proxy appended to X-Forwarded-For (core/client_ip.py).
AXES_IPWARE_PROXY_COUNT = env.int("AXES_IPWARE_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "core.client_ip.client_ip"

# ---- Security limits (issue 14): one block -----------------------------------------------------
# Trusted reverse proxies (core/client_ip.py): their addresses or networks, comma-separated
# (e.g. TRUSTED_PROXIES=10.0.0.0/8). X-Forwarded-For counts only when the direct peer is one of
# them; the client is then the rightmost address that is not. AXES_IPWARE_PROXY_COUNT above is
# the simpler alternative (a count); with neither the header is ignored.
# A value that is no address or network stops the start-up here, not a request later.
TRUSTED_PROXIES = [
    str(ipaddress.ip_network(value, strict=False))
    for value in env.list("TRUSTED_PROXIES", default=[])
]
# Secret look-ups (booking code + ID digits, mailbox reference + follow-up code) are guarded per
# target (accounts/lookup_guard.py): FAILURE_LIMIT wrong answers in WINDOW_HOURS lock the target
# for everyone until its holder or a clerk unlocks it. The per-address limit behind it is high:
# many residents share one carrier-grade NAT address.
LOOKUP_GUARD = {
    "FAILURE_LIMIT": env.int("LOOKUP_FAILURE_LIMIT", default=5),
    "WINDOW_HOURS": env.int("LOOKUP_WINDOW_HOURS", default=24),
    "PER_ADDRESS_LIMIT": env.int("LOOKUP_PER_ADDRESS_LIMIT", default=100),
    "PER_ADDRESS_SECONDS": env.int("LOOKUP_PER_ADDRESS_SECONDS", default=600),
}
# API JSON bodies (core/api.py): larger or deeper bodies are refused with 400. The applications
# API carries its materials as base64, hence the size.
API_JSON = {
    "MAX_BYTES": env.int("API_JSON_MAX_BYTES", default=25 * 1024 * 1024),
    "MAX_DEPTH": env.int("API_JSON_MAX_DEPTH", default=32),
}
# Uploaded images (core/uploads.py): refused above this many pixels before they are decoded.
UPLOAD_MAX_IMAGE_PIXELS = env.int("UPLOAD_MAX_IMAGE_PIXELS", default=25_000_000)
# ---- end of the security limits ----------------------------------------------------------------

# ---- The waiting room of release time (issue 18, core/waiting_room.py, docs/deploy.md) ---------
# MODE off: never (no Redis call); on: always; auto: during WINDOWS (local times, comma-separated
# "07:55-08:30") and for STAY_SECONDS after this process measured the booking paths slower than
# TRIGGER_MS on average. Residents are admitted at RATE per second, lowered towards MIN_RATE while
# admitted requests are slower than LATENCY_TARGET_MS (and held while MAX_INFLIGHT admitted
# requests are being served); an admission lasts ADMISSION_SECONDS.
WAITING_ROOM = {
    "MODE": env.str("WAITING_ROOM", default="auto"),
    "WINDOWS": env.list("WAITING_ROOM_WINDOWS", default=[]),
    "REDIS_URL": env.str(
        "WAITING_ROOM_REDIS_URL", default=CELERY_BROKER_URL if _redis_broker else ""
    ),
    "RATE": env.float("WAITING_ROOM_RATE", default=100.0),
    "MIN_RATE": env.float("WAITING_ROOM_MIN_RATE", default=5.0),
    "LATENCY_TARGET_MS": env.float("WAITING_ROOM_LATENCY_TARGET_MS", default=250.0),
    "TRIGGER_MS": env.float("WAITING_ROOM_TRIGGER_MS", default=1000.0),
    "STAY_SECONDS": env.int("WAITING_ROOM_STAY_SECONDS", default=300),
    # At most this many admitted requests served at once across all nodes (0: no such limit).
    "MAX_INFLIGHT": env.int("WAITING_ROOM_MAX_INFLIGHT", default=0),
    "ADMISSION_SECONDS": env.int("WAITING_ROOM_ADMISSION_SECONDS", default=600),
    "PLACE_SECONDS": env.int("WAITING_ROOM_PLACE_SECONDS", default=1800),
    # Its keys in Redis (installations sharing a Redis set their own).
    "KEY_PREFIX": env.str("WAITING_ROOM_KEY_PREFIX", default="onewindow:wr:"),
    # The longest a waiting resident goes without asking again (further back it asks shortly
    # before the line can reach it: Place.retry_seconds).
    "REFRESH_MAX_SECONDS": env.int("WAITING_ROOM_REFRESH_MAX_SECONDS", default=60),
    # The URL names behind the line (API views: POST only).
    "VIEWS": env.list(
        "WAITING_ROOM_VIEWS",
        default=["appointments:book_time", "appointments:book_details", "api-booking-create"],
    ),
}
# The room's API answers written before Django's request cycle (core/waiting_room_door.py);
# 0: through Django like every request.
WAITING_ROOM_DOOR = env.bool("WAITING_ROOM_DOOR", default=True)
if WAITING_ROOM["MODE"] not in ("off", "on", "auto"):
    raise ValueError("WAITING_ROOM must be off, on or auto")
for _window in WAITING_ROOM["WINDOWS"]:  # a malformed window stops the start-up, not a request
    if len([dt.time.fromisoformat(part.strip()) for part in _window.split("-")]) != 2:
        raise ValueError(f"WAITING_ROOM_WINDOWS: {_window!r} is not HH:MM-HH:MM")

# Every handler masks ID numbers (core/logging.py). Django's own loggers are routed here too:
# their default handlers would print records unfiltered.
# Content Security Policy (django-csp): scripts only from our own origin or with the request's
# nonce; no inline script, no eval. Style attributes stay allowed ('unsafe-inline' in
# style-src only): the Django admin and Swagger UI set them, and they cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF, *([PUSH_URL] if PUSH_URL else [])],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Logs: human-readable lines (make run) or, with LOG_FORMAT=json (production), one JSON object a
# line with the request id (core/observability.py); ID numbers are masked either way.
LOG_FORMAT = env("LOG_FORMAT", default="text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "mask_id_numbers": {"()": "core.logging.MaskIdNumbersFilter"},
        "request_id": {"()": "core.observability.RequestIdFilter"},
    },
    "formatters": {
        "json": {"()": "core.observability.json_formatter"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["mask_id_numbers", "request_id"],
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        },
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "django.server",
            "filters": ["mask_id_numbers", "request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": [], "level": "INFO"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        # WeasyPrint narrates every rendering step at INFO; only its problems are of interest.
        "weasyprint": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # Sentry's own messages through our masked handler (else sentry_sdk.init adds a bare
        # stderr handler of its own to this logger).
        "sentry_sdk.errors": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # redis-py's pub/sub (the push layer) logs server push messages here; declared, so it
        # does not add its own unmasked stdout handler.
        "push_response": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

ONEWINDOW_SITE_NAME = _("OneWindow")

# Error reporting to Sentry when SENTRY_DSN is set, without personal data (core/observability.py).
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    from core.observability import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        release=env("SENTRY_RELEASE", default=""),
    )

# Prometheus metrics at /metrics (core/metrics.py): a bearer token, or client addresses inside
# these networks (by core.client_ip); neither set: /metrics answers 404 to everyone.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
