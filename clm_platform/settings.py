"""Settings for CLM Platform, read from the environment in one place (12-factor)."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


# "dev" and "test" relax what must be configured (keys, loopback webhooks); never in production.
ENVIRONMENT = env("ENVIRONMENT", "production")
IS_DEV = ENVIRONMENT in {"dev", "test"}
DEBUG = env_bool("DJANGO_DEBUG", False) and IS_DEV

SECRET_KEY = env("SECRET_KEY") or ("dev-insecure-secret-key" if IS_DEV else None)
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set outside dev")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "*" if IS_DEV else "")

SHARED_APPS = [
    "django_tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "ninja",
    "corsheaders",
    "dramatiq_crontab",
    "tenants",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "core.rbac",
    "core.audit",
    "core.events",
    "core.contracts",
    "core.clauses",
    "core.templates",
    "core.documents",
    "core.workflows",
    "core.sla",
    "core.webhooks",
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
AUTH_USER_MODEL = "tenants.User"
PUBLIC_SCHEMA_NAME = "public"
# Hosts of tenants are <slug>.<TENANT_BASE_DOMAIN>; clients may also call one base URL.
TENANT_BASE_DOMAIN = env("TENANT_BASE_DOMAIN", "localhost")

MIDDLEWARE = [
    "api.middleware.RequestContextMiddleware",
    "api.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "api.middleware.BodyGuardMiddleware",
    "tenants.middleware.TenantResolutionMiddleware",
    "api.ratelimit.RateLimitMiddleware",
]

ROOT_URLCONF = "clm_platform.urls"
WSGI_APPLICATION = "clm_platform.wsgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

DATABASE_URL = env("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/clm")
# A backend's first query in a tenant schema reads that schema's catalog (~3 ms); a worker
# serving 1,000 tenants paid that ~3 s again on every new connection, every 60 s before.
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=int(env("DB_CONN_MAX_AGE", "600")), conn_health_checks=True
    )
}
DATABASES["default"]["ENGINE"] = "clm_platform.db"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# Processes of `migrate_schemas --executor=multiprocessing` (2 was fastest on 2 cores).
TENANT_MULTIPROCESSING_MAX_PROCESSES = int(env("TENANT_MULTIPROCESSING_MAX_PROCESSES", "2"))
# `migrate_schemas` leaves out tenant schemas that have every migration applied.
GET_EXECUTOR_FUNCTION = "tenants.migration_executor.get_executor"

# Webhook targets in these ranges are refused (SSRF) unless allowed here; never in production.
WEBHOOK_ALLOW_LOOPBACK = env_bool("WEBHOOK_ALLOW_LOOPBACK", IS_DEV)
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", False)
WEBHOOK_TIMEOUT_SECONDS = float(env("WEBHOOK_TIMEOUT_SECONDS", "15"))

REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
# "redis" everywhere but the test suite, which drives a stub broker with real worker threads.
DRAMATIQ_BROKER = env("DRAMATIQ_BROKER", "redis")
# `manage.py crontab` holds a Redis lock so only one scheduler sends the periodic jobs.
DRAMATIQ_CRONTAB = {"REDIS_URL": REDIS_URL}
# When the periodic SLA scan fans out over the tenants (crontab syntax, UTC).
SLA_SCAN_SCHEDULE = env("SLA_SCAN_SCHEDULE", "*/5 * * * *")

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Tokens. HS256 with a dedicated key; the algorithm is pinned when decoding.
JWT_SIGNING_KEY = env("JWT_SIGNING_KEY") or (
    "dev-only-jwt-signing-key-change-me" if IS_DEV else None
)
if not JWT_SIGNING_KEY:
    raise ImproperlyConfigured("JWT_SIGNING_KEY must be set outside dev")
JWT_ALGORITHM = "HS256"
JWT_ISSUER = env("JWT_ISSUER", "clm-platform")
JWT_AUDIENCE = env("JWT_AUDIENCE", "clm-api")
ACCESS_TOKEN_LIFETIME = timedelta(minutes=int(env("ACCESS_TOKEN_MINUTES", "15")))
REFRESH_TOKEN_LIFETIME = timedelta(days=int(env("REFRESH_TOKEN_DAYS", "14")))

ALLOW_SIGNUP = env_bool("ALLOW_SIGNUP", True)
INVITATION_LIFETIME = timedelta(days=int(env("INVITATION_DAYS", "7")))
# Login throttling: failures allowed per window, per account and per client IP.
LOGIN_FAILURES_PER_ACCOUNT = int(env("LOGIN_FAILURES_PER_ACCOUNT", "5"))
LOGIN_FAILURES_PER_IP = int(env("LOGIN_FAILURES_PER_IP", "20"))
LOGIN_FAILURE_WINDOW_SECONDS = int(env("LOGIN_FAILURE_WINDOW_SECONDS", "900"))
# Request rate limits per window: per user by the tenant's plan, per client IP when anonymous,
# stricter per IP on login and register; staff and tenant admins are not limited.
RATE_LIMIT_ENABLED = env_bool("RATE_LIMIT_ENABLED", True)
RATE_LIMIT_WINDOW_SECONDS = int(env("RATE_LIMIT_WINDOW_SECONDS", "60"))
RATE_LIMIT_STANDARD = int(env("RATE_LIMIT_STANDARD", "100"))
RATE_LIMIT_PREMIUM = int(env("RATE_LIMIT_PREMIUM", "1000"))
RATE_LIMIT_ANONYMOUS = int(env("RATE_LIMIT_ANONYMOUS", "60"))
RATE_LIMIT_LOGIN = int(env("RATE_LIMIT_LOGIN", "10"))
RATE_LIMIT_REGISTER = int(env("RATE_LIMIT_REGISTER", "5"))

# Error reporting: off unless SENTRY_DSN is set (clm_platform/sentry.py, initialised at the end).
SENTRY_DSN = env("SENTRY_DSN")
SENTRY_RELEASE = env("SENTRY_RELEASE")
# Every cluster runs ENVIRONMENT=production; Sentry tells dev, staging and prod apart by this.
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", ENVIRONMENT)
SENTRY_TRACES_SAMPLE_RATE = float(env("SENTRY_TRACES_SAMPLE_RATE", "0"))
SENTRY_SEND_DEFAULT_PII = env_bool("SENTRY_SEND_DEFAULT_PII", False)

API_DOCS_ENABLED = env_bool("API_DOCS_ENABLED", True)
# JSON request bodies above this are refused with 413 before they are parsed.
API_MAX_JSON_BYTES = int(env("API_MAX_JSON_BYTES", str(1024 * 1024)))
NINJA_PAGINATION_MAX_LIMIT = 100

# Documents (templates' .docx and contract versions) live in object storage: "s3" for any
# S3-compatible store (Cloudflare R2, AWS S3, MinIO), "local" files for development. Keys are
# prefixed with the tenant's schema inside the bucket.
STORAGE_BACKEND = env("STORAGE_BACKEND", "local")
if STORAGE_BACKEND not in {"local", "s3"}:
    raise ImproperlyConfigured("STORAGE_BACKEND must be 'local' or 's3'")
S3_BUCKET = env("S3_BUCKET")
S3_ENDPOINT_URL = env("S3_ENDPOINT_URL")
S3_REGION = env("S3_REGION", "auto")
S3_ADDRESSING_STYLE = env("S3_ADDRESSING_STYLE", "path")
DOCUMENTS_ROOT = env("DOCUMENTS_ROOT", str(BASE_DIR / ".data" / "documents"))
if STORAGE_BACKEND == "s3":
    if not S3_BUCKET:
        raise ImproperlyConfigured("S3_BUCKET must be set when STORAGE_BACKEND=s3")
    DOCUMENT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": S3_ENDPOINT_URL,
            "access_key": env("S3_ACCESS_KEY_ID"),
            "secret_key": env("S3_SECRET_ACCESS_KEY"),
            "region_name": S3_REGION,
            "addressing_style": S3_ADDRESSING_STYLE,
            "signature_version": "s3v4",
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": True,
        },
    }
else:
    DOCUMENT_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DOCUMENTS_ROOT, "allow_overwrite": True},
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "documents": DOCUMENT_STORAGE,
}
# How long a process uses its copy of a tenant row (resolution per request) before checking
# the tenants version in Redis (one round trip; tenants/tenant_cache.py). A PATCH is seen at
# once by the process serving it, by the others within this. 0 checks on every request
# (~0.1 ms each).
TENANT_CACHE_SECONDS = float(env("TENANT_CACHE_SECONDS", "60"))
# Download URLs (presigned, or signed by this app for local files) live this long.
DOCUMENT_URL_TTL_SECONDS = int(env("DOCUMENT_URL_TTL_SECONDS", "300"))
# Uploaded documents above this size are refused with 413.
DOCUMENT_MAX_UPLOAD_BYTES = int(env("DOCUMENT_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024)))
# Non-file request data (JSON bodies, form fields) stays small; uploaded files above 2.5 MB
# spool to a temporary file instead of memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(env("DATA_UPLOAD_MAX_MEMORY_SIZE", str(5 * 1024 * 1024)))
FILE_UPLOAD_MAX_MEMORY_SIZE = int(env("FILE_UPLOAD_MAX_MEMORY_SIZE", str(2_621_440)))
# Optional drafting assistant ("package.module.Class", see core/documents/drafting.py).
DRAFTING_PROVIDER = env("DRAFTING_PROVIDER")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# TLS ends at the ingress; it tells us the original scheme.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "0" if IS_DEV else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_REFERRER_POLICY = "same-origin"
# Browsers may call the API only from these origins (front ends); none by default.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/api/.*$"
CORS_EXPOSE_HEADERS = [
    "X-Request-ID", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
    "Retry-After",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

from clm_platform.sentry import init_sentry  # noqa: E402 - settings above configure it

init_sentry(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT, release=SENTRY_RELEASE,
            traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE, send_default_pii=SENTRY_SEND_DEFAULT_PII)
