"""The one settings module. Everything a deployment changes comes from the environment
(see reanimator.env and README "Configuration"); the defaults are the embedded set-up:
a SQLite file under var/ and Celery tasks run eagerly in-process."""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from reanimator.env import env_bool, env_int, env_list, env_str, secret_key_file

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("REANIMATOR_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY") or secret_key_file(VAR_DIR / "secret_key")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "django_htmx",
    "reanimator.apps.ReanimatorConfig",
    "registry",
    "ingest",
    "timeline",
    "tickets",
    "analytics",
]

MIDDLEWARE = [
    "reanimator.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "reanimator.urls"
WSGI_APPLICATION = "reanimator.wsgi.application"
ASGI_APPLICATION = "reanimator.asgi.application"

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
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'reanimator.sqlite3'}"
_default_db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
if _default_db["ENGINE"] == "django.db.backends.mysql":
    _default_db["OPTIONS"] = {
        "charset": "utf8mb4",
        # Strict mode: MariaDB must refuse truncated or invalid values rather than mangle them.
        # No IN-list conversion: from 1,000 values MariaDB turns `IN (...)` into a subquery,
        # and a batch of bundles asks about more parts than that; the subquery plan scanned
        # whole tables where the plain list is a range of index lookups.
        "init_command": (
            "SET sql_mode='STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION', "
            "in_predicate_conversion_threshold=0"
        ),
        "isolation_level": "read committed",
    }
    _default_db["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
elif _default_db["ENGINE"] == "django.db.backends.sqlite3":
    _default_db["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    _default_db["CONN_MAX_AGE"] = 0
DATABASES = {"default": _default_db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache (Redis when configured: shared across web and workers) ----------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- auth -------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Pages sign in at /accounts/login/ (registration/login.html); admin keeps its own login.
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
WHITENOISE_USE_FINDERS = not env_bool("STATIC_MANIFEST", not DEBUG)
WHITENOISE_AUTOREFRESH = WHITENOISE_USE_FINDERS
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files after `collectstatic` in production; plain files in
        # development and tests, which never run collectstatic.
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Upload limits: Django refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE for non-file data;
# bundle uploads have their own limit (REANIMATOR_MAX_BUNDLE_BYTES) checked by the ingest API.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
REANIMATOR_MAX_BUNDLE_BYTES = env_int("REANIMATOR_MAX_BUNDLE_BYTES", 64 * 1024 * 1024)
REANIMATOR_MAX_ARCHIVE_MEMBERS = env_int("REANIMATOR_MAX_ARCHIVE_MEMBERS", 5000)
REANIMATOR_MAX_EXPANDED_BYTES = env_int("REANIMATOR_MAX_EXPANDED_BYTES", 512 * 1024 * 1024)
# A parse claim older than this belongs to a worker that died; another worker may take it.
REANIMATOR_PARSE_CLAIM_SECONDS = env_int("REANIMATOR_PARSE_CLAIM_SECONDS", 600)
# A parse task takes along up to this many bundles in all that are waiting, and records
# them in one transaction: a backlog is parsed several times faster than one by one.
REANIMATOR_PARSE_BATCH_SIZE = max(1, env_int("REANIMATOR_PARSE_BATCH_SIZE", 40))
# A bundle whose parse failed this many times for a reason other than its input or the
# database (a parser bug, a worker that died on it) is marked failed (internal_error).
REANIMATOR_PARSE_MAX_ATTEMPTS = max(1, env_int("REANIMATOR_PARSE_MAX_ATTEMPTS", 3))

# --- security (production defaults; DEBUG relaxes what only makes sense behind TLS) -----
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^health$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# --- REST API ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes a missing login a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["reanimator.api.permissions.ReadAuthenticatedWriteModelPermission"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "reanimator.api.pagination.IdCursorPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "reanimator.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Reanimator API",
    "DESCRIPTION": "Hardware lifecycle registry: assets, components, installations, log bundles, timelines.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ComponentClassEnum": "registry.choices.ComponentClass",
        "AssetStatusEnum": "registry.choices.AssetStatus",
        "LocationKindEnum": "registry.choices.LocationKind",
        "TicketStatusEnum": "tickets.choices.TicketStatus",
        "SyncRunStatusEnum": "tickets.choices.SyncRunStatus",
    },
}

# --- Celery -----------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
# Without a broker (the embedded default) tasks run in-process, eagerly, as DESIGN.md says.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    # Celery still takes a producer for eager tasks; with no URL kombu warns on every
    # process start that it falls back to amqp://localhost.
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must not hang a web request when the broker is down: fail fast, the sweep retries.
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_BEAT_SCHEDULE = {
    "ingest-requeue-stale-bundles": {"task": "ingest.requeue_stale_bundles", "schedule": 300.0},
    # Queues a pull of each enabled ticket connector whose own interval has passed.
    "tickets-dispatch-due-connectors": {"task": "tickets.dispatch_due_connectors", "schedule": 60.0},
}
# Ticket pulls: attempts per request (network errors, 5xx, 429), first backoff, request
# timeout, and the run lock's lease (a crashed worker's lock expires after it).
REANIMATOR_TICKET_SYNC_ATTEMPTS = env_int("REANIMATOR_TICKET_SYNC_ATTEMPTS", 5)
REANIMATOR_TICKET_SYNC_BACKOFF_SECONDS = env_int("REANIMATOR_TICKET_SYNC_BACKOFF_SECONDS", 2)
REANIMATOR_TICKET_SYNC_TIMEOUT_SECONDS = env_int("REANIMATOR_TICKET_SYNC_TIMEOUT_SECONDS", 30)
REANIMATOR_TICKET_SYNC_LOCK_SECONDS = env_int("REANIMATOR_TICKET_SYNC_LOCK_SECONDS", 600)

# --- logging: one JSON object per line, with the request id ------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "reanimator.logging.RequestIdFilter"}},
    "formatters": {"json": {"()": "reanimator.logging.JsonFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "celery": {"level": LOG_LEVEL},
    },
}

# --- the corpus of real hardware data used by tests (never copied into the repo) --------
REANIMATOR_CORPUS = env_str("REANIMATOR_CORPUS", str(BASE_DIR.parent / "shared" / "corpus"))
