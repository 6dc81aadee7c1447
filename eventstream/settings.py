"""Settings: everything comes from the environment (and `.env` when present).

Production only tightens what development allows; secrets have no usable default there.
"""

import sys
from pathlib import Path

import environ

from eventstream.core.durations import parse_duration
from eventstream.core.logging import configure_logging

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

APP_ENV = env.str("APP_ENV", default="test" if "pytest" in sys.modules else "development")
if APP_ENV not in {"development", "test", "production"}:
    raise RuntimeError(f"APP_ENV must be development, test or production, not {APP_ENV!r}")
IS_PRODUCTION = APP_ENV == "production"
IS_TEST = APP_ENV == "test"

_DEV_SECRET = "dev-insecure-secret-key-change-me-0123456789abcdef"  # noqa: S105 (refused in production)
_DEV_JWT_SECRET = "dev-insecure-jwt-secret-change-me-0123456789abcdef"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET)
JWT_SECRET = env.str("JWT_SECRET", default=_DEV_JWT_SECRET)
if IS_PRODUCTION:
    if SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 32:
        raise RuntimeError(
            "SECRET_KEY must be set to a random value of 32+ characters in production"
        )
    if JWT_SECRET in (_DEV_JWT_SECRET, SECRET_KEY) or len(JWT_SECRET) < 32:
        raise RuntimeError(
            "JWT_SECRET must be set in production: 32+ characters and different from SECRET_KEY"
        )

DEBUG = env.bool("DEBUG", default=APP_ENV == "development")
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS",
    default=[] if IS_PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"],
)
PORT = env.int("PORT", default=3000)
VERSION = "0.1.0"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "django_celery_beat",
    "eventstream.core",
    "accounts",
    "events",
    "webhooks",
    "exports",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "eventstream.core.middleware.RequestContextMiddleware",
    "eventstream.core.middleware.ErrorFormatMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Sessions, CSRF, request.user and messages skip /api/ (see eventstream/core/middleware.py).
    "eventstream.core.middleware.BrowserSessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "eventstream.core.middleware.BrowserCsrfViewMiddleware",
    "eventstream.core.middleware.BrowserAuthenticationMiddleware",
    "eventstream.core.middleware.BrowserMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "eventstream.urls"
WSGI_APPLICATION = "eventstream.wsgi.application"
APPEND_SLASH = False

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
            ]
        },
    }
]

# Database. Django's own PostgreSQL backend (psycopg 3), not django-timescaledb: see README.
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default="postgresql://postgres@127.0.0.1:5432/eventstream"
    )
}
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["OPTIONS"].setdefault(
    "connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=2)
)
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default="test_eventstream")}
# psycopg's connection pool in long-running processes; tests use plain connections because
# pytest-django creates and drops the test database underneath them.
if env.bool("DB_POOL", default=not IS_TEST):
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": env.int("DB_POOL_MIN", default=1),
        "max_size": env.int("DB_POOL_MAX", default=8),
        "timeout": env.float("DB_POOL_TIMEOUT", default=2.0),  # healthz answers 503 within 2 s
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        # Django's Redis backend, reusing one client per pool (see eventstream/core/cache.py).
        "BACKEND": "eventstream.core.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="es"),
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if IS_TEST:  # a fast hash only in tests, never elsewhere
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
STATIC_URL = "static/"
# Swagger UI and admin assets are served by WhiteNoise from the installed apps: no CDN, no
# collectstatic step needed to start.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if not IS_TEST
    else "django.core.mail.backends.locmem.EmailBackend",
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="eventstream@localhost")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiKeyAuthentication",
        "accounts.authentication.AccountJWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "eventstream.core.negotiation.JsonFirstContentNegotiation",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "eventstream.core.errors.drf_exception_handler",
    "UNAUTHENTICATED_USER": None,
}

JWT_EXPIRES_IN = env.str("JWT_EXPIRES_IN", default="15m")
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": parse_duration(JWT_EXPIRES_IN),
    "REFRESH_TOKEN_LIFETIME": parse_duration(env.str("JWT_REFRESH_EXPIRES_IN", default="7d")),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SECRET,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_CLAIM": "user_id",
    "UPDATE_LAST_LOGIN": False,
}
API_KEY_ROTATION_GRACE = parse_duration(env.str("API_KEY_ROTATION_GRACE", default="24h"))

SPECTACULAR_SETTINGS = {
    "TITLE": "EventStream API",
    "DESCRIPTION": "Self-hosted event analytics: ingestion, queries, webhooks and exports.",
    "VERSION": VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Celery: Redis is broker and result backend; JSON only; named queues.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SOFT_TIME_LIMIT = 300
CELERY_TASK_TIME_LIMIT = 360
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "visibility_timeout": 3600}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"

RATELIMIT_USE_CACHE = "default"
RATELIMIT_VIEW = "eventstream.core.errors.ratelimited_view"
# Trusted proxies: only then is X-Forwarded-For believed for client IPs.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Rate limits ("<count>/<period>", period s|m|h|d, e.g. "100/10m"); see docs/auth.md.
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
RATELIMIT_API = env.str("RATELIMIT_API", default="6000/m")  # per API key / user
RATELIMIT_LOGIN = env.str("RATELIMIT_LOGIN", default="10/m")  # per client IP
RATELIMIT_LOGIN_PER_USERNAME = env.str("RATELIMIT_LOGIN_PER_USERNAME", default="30/h")
RATELIMIT_REGISTER = env.str("RATELIMIT_REGISTER", default="10/h")  # per client IP
RATELIMIT_PASSWORD_RESET = env.str("RATELIMIT_PASSWORD_RESET", default="5/h")  # per client IP
RATELIMIT_TOKEN = env.str("RATELIMIT_TOKEN", default="60/m")  # refresh/logout, per client IP
# API key usage counters are kept in Redis and flushed to the database by beat every minute;
# a resolved key is cached in Redis this long (any change of the key row drops the entry).
API_KEY_CACHE_SECONDS = env.int("API_KEY_CACHE_SECONDS", default=30)
# ...and kept in each process this long in front of Redis (other processes see a revocation
# within this TTL; the process that made it at once). 0 turns the per-process copy off.
API_KEY_LOCAL_CACHE_SECONDS = env.float("API_KEY_LOCAL_CACHE_SECONDS", default=1.0)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)
# Reset mails go out from a Celery task (same answer time for known and unknown users).
PASSWORD_RESET_EMAIL_ASYNC = env.bool("PASSWORD_RESET_EMAIL_ASYNC", default=not IS_TEST)

PROMETHEUS_EXPORT_MIGRATIONS = False

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
# JSON logs through structlog, for our loggers and for Django's, Celery's and gunicorn's.
LOGGING_CONFIG = None
configure_logging(LOG_LEVEL)

SECURE_CONTENT_TYPE_NOSNIFF = True
if IS_PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
