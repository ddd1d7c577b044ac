"""One settings module, driven by the environment, with safe defaults for local use.

`make run` needs nothing set: SQLite file, tasks inline. Production and CI set DATABASE_URL and
REDIS_URL (see .env.example).
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-local-development-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "oms",
    "notifications",
    "orders",
    "returns",
    "support",
    "insights",
    "feedback",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "oms.urls"
WSGI_APPLICATION = "oms.wsgi.application"
ASGI_APPLICATION = "oms.asgi.application"

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
                "support.context.console",
            ],
        },
    },
]

# SQLite by default so `make run` needs no service; DATABASE_URL selects PostgreSQL.
# CONN_MAX_AGE stays 0 under ASGI: Django's persistent connections are per thread and ASGI runs
# each request's sync code on a thread of its own, so a kept connection is never reused (docs:
# "Persistent connections" under ASGI). Pooling was measured in issue 7 (README, "Database
# connections"; docs/performance.md, "Placement"): not adopted yet — the request's own CPU
# dominates, and Django's pool needs psycopg 3, which costs more client CPU than psycopg2.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if not IS_POSTGRES:
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("pt-br", _("Brazilian Portuguese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = DEBUG

LOGIN_URL = "/console/login/"
LOGIN_REDIRECT_URL = "/console/"

# --- Redis, Celery -----------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL  # `make run`: tasks run inline, in-process
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Reliability (https://docs.celeryq.dev/en/stable/userguide/tasks.html#retrying and the
# "Reliability" FAQ): acknowledge after the task ran, so a task lost with its worker is
# redelivered (at once when a pool process dies, after the visibility timeout below when the
# whole worker does); take one task at a time; bound every task's time.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 50
CELERY_TASK_TIME_LIMIT = 60
# A task running when the worker loses Redis finishes rather than being killed half-way: every
# task is safe to run twice, and its lost ack only means Redis hands it out again as a no-op.
# (Celery warns at each connection loss that 6.0 will cancel such tasks by default.)
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# Redis redelivers an unacknowledged task after the visibility timeout: longer than any task
# runs or waits (a task's retry countdown is at most a few minutes, see oms/task_base.py). A
# whole worker killed mid-task is redelivered only then; the outbox sweep does not wait for it.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
    # A Redis that hangs instead of refusing would block a publish (and the request making it)
    # forever: kombu waits without limit unless told (its Redis transport docs, socket_timeout).
    "socket_timeout": 5,
}
# Publishing must fail fast when Redis is down: the outbox keeps the work and the sweep resends.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers and beat outlive any Redis outage: by default a worker gives up (exits) after 100 tries,
# about 45 minutes. Celery spaces the tries 2, 4, 6... up to 30 s apart, so a worker may take
# that long to notice Redis is back.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BEAT_SCHEDULE = {
    "sweep-outbox": {"task": "notifications.tasks.sweep_outbox", "schedule": timedelta(seconds=15)},
    "purge-expired-idempotency-keys": {
        "task": "oms.tasks.purge_expired_idempotency_keys",
        "schedule": timedelta(hours=1),
    },
    "resume-pending-payment-transactions": {
        "task": "orders.tasks.resume_pending_payment_transactions",
        "schedule": timedelta(minutes=5),
    },
    "cancel-abandoned-orders": {
        "task": "orders.tasks.cancel_abandoned_orders",
        "schedule": timedelta(minutes=5),
    },
    "apply-pending-tracking-events": {
        "task": "orders.tasks.apply_pending_tracking_events",
        "schedule": timedelta(seconds=30),
    },
    "detect-delays": {"task": "orders.tasks.detect_delays", "schedule": timedelta(minutes=15)},
    "expire-returns": {"task": "returns.tasks.expire_returns", "schedule": timedelta(hours=1)},
    "purge-portal-access": {
        "task": "returns.tasks.purge_portal_access",
        "schedule": timedelta(minutes=15),
    },
    # Early warning: contact and delay rates per warehouse and carrier against their baseline.
    "insights-run-detection": {
        "task": "insights.tasks.run_detection",
        "schedule": timedelta(minutes=15),
    },
    # Feedback: ask for reviews and surveys when their time has come, reward referrals whose
    # friend's first order arrived, remind to reorder consumables, rebuild the product pairs.
    "feedback-send-requests": {
        "task": "feedback.tasks.requests.send_feedback_requests",
        "schedule": timedelta(minutes=10),
    },
    "feedback-reward-referrals": {
        "task": "feedback.tasks.referrals.reward_referrals",
        "schedule": timedelta(minutes=10),
    },
    "feedback-send-replenishment-reminders": {
        "task": "feedback.tasks.recommendations.send_replenishment_reminders",
        "schedule": timedelta(hours=1),
    },
    "feedback-rebuild-product-pairs": {
        "task": "feedback.tasks.recommendations.rebuild_product_pairs",
        "schedule": timedelta(hours=24),
    },
}
# A periodic run that waited longer than its period (workers down) is dropped, not piled up:
# the next run does the same work.
for _entry in CELERY_BEAT_SCHEDULE.values():
    _entry.setdefault("options", {})["expires"] = _entry["schedule"].total_seconds()
# An order still waiting for its payment after this long lost its placing request: cancel it.
OMS_ABANDONED_ORDER_AFTER = timedelta(minutes=15)
# A payment link a rep sent (assisted orders) is valid this long; the order keeps its stock
# reserved meanwhile, and is cancelled when the link expires unpaid.
OMS_PAYMENT_LINK_VALID_FOR = timedelta(
    hours=float(os.environ.get("OMS_PAYMENT_LINK_VALID_FOR_HOURS", "48"))
)
# A gateway call still pending after this long is retried with its original idempotency key.
OMS_PAYMENT_RETRY_AFTER = timedelta(minutes=5)
# A carrier scan stored this long ago and still not applied lost its task: the sweep applies it.
OMS_TRACKING_APPLY_GRACE = timedelta(seconds=30)
# A parcel with the carrier and no scan for this long has stalled: the customer is told.
OMS_STALLED_AFTER = timedelta(hours=float(os.environ.get("OMS_STALLED_AFTER_HOURS", "48")))

# --- Feedback ---------------------------------------------------------------------------------
# Survey and review links work once and for this long after they were sent.
OMS_FEEDBACK_LINK_VALID_FOR = timedelta(days=30)
# Review photos: size and types (checked from the bytes), and how many per review.
OMS_REVIEW_PHOTO_MAX_BYTES = int(os.environ.get("OMS_REVIEW_PHOTO_MAX_BYTES", 5 * 1024 * 1024))
OMS_REVIEW_PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
OMS_REVIEW_PHOTOS_PER_REVIEW = 4
# Products suggested in the delivered email.
OMS_RECOMMENDATIONS_PER_EMAIL = 3
# The storefront's address: referral links land there (with ?ref=<code>) and emails link
# products to it. Defaults to this server's public address.
OMS_STOREFRONT_URL = os.environ.get("OMS_STOREFRONT_URL", "")

# --- Returns ----------------------------------------------------------------------------------
# Customer photos of returned items: at most this many bytes each, of these types (checked
# from the file's own bytes, not its name).
OMS_RETURN_PHOTO_MAX_BYTES = int(os.environ.get("OMS_RETURN_PHOTO_MAX_BYTES", 5 * 1024 * 1024))
OMS_RETURN_PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
OMS_RETURN_PHOTOS_PER_LINE = 4
# Portal access: a one-time code and a signed link sent to the order's email.
OMS_PORTAL_CODE_VALID_FOR = timedelta(minutes=15)
OMS_PORTAL_LINK_VALID_FOR = timedelta(days=7)
# Lookup attempts allowed per order, per email or postal code, and per client address in
# OMS_PORTAL_ATTEMPT_WINDOW; beyond that the portal answers 429.
OMS_PORTAL_MAX_ATTEMPTS = {"order": 5, "identity": 10, "ip": 30}
OMS_PORTAL_ATTEMPT_WINDOW = timedelta(minutes=15)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("OMS_MEDIA_ROOT", BASE_DIR / "media"))

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["oms.api.auth.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["oms.api.auth.HasScopes"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "oms.api.pagination.NewestFirstCursorPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "oms.api.problems.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OMS API",
    "DESCRIPTION": (
        "Orders, stock, payments, shipments and tracking; returns and exchanges under the "
        "same store policy as the customer portal; webhooks. Authenticate with "
        "`Authorization: Bearer <token>`; tokens carry scopes. Every POST that creates an order "
        "or moves money takes an `Idempotency-Key` header. Errors are RFC 9457 problem details."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orders.models.orders.OrderStatus",
        "OrderChannelEnum": "orders.models.orders.Channel",
        "ShipmentStatusEnum": "orders.models.fulfilment.ShipmentStatus",
        "TrackingStatusEnum": "orders.models.fulfilment.TrackingEvent.Status",
        "PaymentStatusEnum": "orders.models.payments.Payment.Status",
        "PaymentTransactionStatusEnum": "orders.models.payments.PaymentTransaction.Status",
        "LocaleEnum": "orders.models.customers.Locale",
    },
}
IDEMPOTENCY_KEY_TTL = timedelta(hours=int(os.environ.get("IDEMPOTENCY_KEY_TTL_HOURS", "24")))
# A request holding a key longer than this is presumed dead and its key may be taken over.
IDEMPOTENCY_LOCK_TIMEOUT = timedelta(seconds=60)

# --- Domain -----------------------------------------------------------------------------------
# Where customers reach this site: links in emails are built on it.
OMS_PUBLIC_URL = os.environ.get("OMS_PUBLIC_URL", "http://127.0.0.1:8000")
OMS_PAYMENT_GATEWAY = os.environ.get("OMS_PAYMENT_GATEWAY", "sandbox")
OMS_DEFAULT_CURRENCY = os.environ.get("OMS_DEFAULT_CURRENCY", "USD")

# Django 6.1 mailers. EMAIL_BACKEND (env) picks the backend: console in development, SMTP
# (django.core.mail.backends.smtp.EmailBackend, configured by EMAIL_HOST & co.) in production.
MAILERS = {
    "default": {
        "BACKEND": os.environ.get(
            "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
        ),
        "OPTIONS": {
            key.lower(): value
            for key, value in {
                "HOST": os.environ.get("EMAIL_HOST"),
                "PORT": int(os.environ["EMAIL_PORT"]) if os.environ.get("EMAIL_PORT") else None,
                "USERNAME": os.environ.get("EMAIL_HOST_USER"),
                "PASSWORD": os.environ.get("EMAIL_HOST_PASSWORD"),
                "USE_TLS": env_bool("EMAIL_USE_TLS", False) or None,
            }.items()
            if value is not None
        },
    }
}
# Webhook targets on private, loopback or link-local networks are refused (SSRF) unless allowed:
# on in development and tests, off in production.
OMS_WEBHOOKS_ALLOW_PRIVATE_TARGETS = env_bool("OMS_WEBHOOKS_ALLOW_PRIVATE_TARGETS", DEBUG)
OMS_WEBHOOK_TIMEOUT_SECONDS = 10
OMS_EMAIL_DOMAIN = os.environ.get("OMS_EMAIL_DOMAIN", "oms.local")  # for Message-ID headers
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "orders@oms.local")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Served over HTTPS (behind a TLS-terminating proxy): cookies only travel encrypted. On by
# default without DEBUG; the local compose stack on plain http turns it off.
if env_bool("USE_HTTPS", not DEBUG):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
