"""
Newsroom settings: one module, read from the environment (twelve-factor).

Every value a deployment changes is an environment variable; see `.env.example`
and the configuration table in README.md. Production is the default: DEBUG is off
unless set, and SECRET_KEY is then required.
"""

import datetime
import ipaddress
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django_prose_editor.config import html_tags
from js_asset import static_lazy

BASE_DIR = Path(__file__).resolve().parent.parent
env = os.environ

_TRUE = {"1", "true", "yes", "on"}


def env_bool(name, default=False):
    value = env.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in _TRUE


def env_list(name, default=""):
    return [item.strip() for item in env.get(name, default).split(",") if item.strip()]


def env_int(name, default):
    value = env.get(name, "").strip()
    return int(value) if value else default


DEBUG = env_bool("DEBUG")

SECRET_KEY = env.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Newsroom runs in production mode unless DEBUG=1; "
            "set SECRET_KEY to a long random value (for example the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`)."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "newsroom.admin_config.NewsroomAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "taggit",
    "django_prose_editor",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Before django_tasks_db: its `db_worker` command is newsroom's (the first app wins).
    "newsroom",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # the content API's docs page and its own static files (no CDN)
    *(["django_rq"] if env.get("TASKS_BACKEND", "").strip().lower() == "rq" else []),
    "articles",
    "comments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "newsroom.middleware.SecurityHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Bodies over a view's declared size get 413 before anything below reads them.
    "newsroom.request_limits.RequestBodyLimitMiddleware",
    "newsroom.middleware.HostileInputMiddleware",
    # Page-cache hits for readers without a session, before sessions and auth run.
    "newsroom.caching.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "newsroom.middleware.MediaNonceMiddleware",
    "articles.middleware.SlugRedirectFallbackMiddleware",
    "newsroom.middleware.DatabaseUnavailableMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = "newsroom.wsgi.application"

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
                "newsroom.context_processors.site",
            ],
            # {% url %} with each address kept (newsroom/addresses.py).
            "builtins": ["newsroom.templatetags.kept_urls"],
        },
    },
]

# Database: SQLite by default, PostgreSQL through DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        env.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and a writer work at once; IMMEDIATE transactions and a
    # busy timeout make concurrent writers queue instead of failing with
    # "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
# PostgreSQL: parameters bound by the server, so psycopg prepares a statement a
# connection runs for the 5th time and PostgreSQL parses it once, not on every request.
# It still plans each run for its own values (plan_cache_mode=force_custom_plan): a
# generic plan, made once for any value, made a search for a common word 4 times and a
# comment post 30 times slower in the benchmark. Behind a connection pooler in
# transaction mode that cannot keep prepared statements (PgBouncer before 1.21, or
# without max_prepared_statements), set DATABASE_PREPARED_STATEMENTS=0.
PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)


def _prepare_statements(database):
    if PREPARED_STATEMENTS and database["ENGINE"] == "django.db.backends.postgresql":
        options = database.setdefault("OPTIONS", {})
        options.update(server_side_binding=True, prepare_threshold=5)
        options["options"] = " ".join(
            filter(None, [options.get("options"), "-c plan_cache_mode=force_custom_plan"])
        )
    return database


_prepare_statements(DATABASES["default"])
DATABASES["default"].setdefault("TEST", {})
if env.get("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"]["NAME"] = env["TEST_DATABASE_NAME"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis when REDIS_URL is set (shared by every app process), else local memory.
REDIS_URL = env.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache, bypassed (and logged) while Redis is unreachable.
            "BACKEND": "newsroom.cache_backends.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.get("CACHE_KEY_PREFIX", "newsroom"),
            "TIMEOUT": 300,
            "OPTIONS": {"RETRY_AFTER": float(env.get("CACHE_RETRY_AFTER", "5"))},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "newsroom",
            "TIMEOUT": 300,
        }
    }
if env.get("CACHE_BACKEND") == "dummy":
    # No cache at all: what the first reader after a change pays (bench/run measures it).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env.get("LANGUAGE_CODE", "en-gb")
TIME_ZONE = env.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# Static files: hashed and compressed by whitenoise, served with far-future caching.
STATIC_URL = "static/"
STATIC_ROOT = Path(env.get("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.get("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # WhiteNoise's compressed, hashed files, each address kept (newsroom/static_storage.py).
    "staticfiles": {"BACKEND": "newsroom.static_storage.StaticFilesStorage"},
}
# Without collectstatic (development, tests) fall back to the unhashed name.
WHITENOISE_MANIFEST_STRICT = False
# Media are served by Django only when asked (demo, development); production puts
# them behind the web server, a CDN or object storage (docs/operations.md, "Serving
# uploaded images"). MEDIA_SERVED_BY_WEB_SERVER says the web server in front does it;
# without one of the three, `check --deploy` warns (newsroom.checks).
SERVE_MEDIA = env_bool("SERVE_MEDIA", DEBUG)
MEDIA_SERVED_BY_WEB_SERVER = env_bool("MEDIA_SERVED_BY_WEB_SERVER")

# Security. Production values are the default; DEBUG relaxes only what local HTTP needs.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
# Hostile input: bodies and field counts are bounded; uploads stream to disk past 2.5 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("DATA_UPLOAD_MAX_NUMBER_FIELDS", 2000)
DATA_UPLOAD_MAX_NUMBER_FILES = 20
FILE_UPLOAD_PERMISSIONS = 0o644
# Content-Security-Policy (django-csp): nothing inline runs, nothing loads from
# elsewhere, the site cannot be framed. The admin's rich-text editor gets a nonce
# for its import map (newsroom.middleware.MediaNonceMiddleware). Extra origins for
# images (object storage, a CDN) come from CSP_IMG_SOURCES.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *env_list("CSP_IMG_SOURCES")],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "media-src": ["'self'", *env_list("CSP_IMG_SOURCES")],
        "object-src": ["'none'"],
        "frame-src": ["'none'"],
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# tiptap (inside django-prose-editor) injects its base CSS as one <style> element; pages
# with the editor allow exactly that text by its hash. If an upgrade changes the CSS,
# tests/security/test_csp_browser.py fails and shows the new hash to put here.
PROSE_EDITOR_STYLE_HASHES = ["'sha256-PlumsSlvJ7vvWzjqibGAYKq92O3y/4JTxWWsWJvyUYA='"]
# The story nodes of the article editor (articles/richtext.py): the module that makes
# them in the editor, and the markup each may leave in a saved body.
DJANGO_PROSE_EDITOR_EXTENSIONS = [
    {
        "js": [static_lazy("js/prose-story.js")],
        "extensions": {
            "StoryImage": html_tags(
                ["figure", "figcaption"],
                {"figure": ["data-image", "data-width", "data-alt", "data-credit"]},
            ),
            "StoryGallery": html_tags(["figure", "figcaption"], {"figure": ["data-gallery"]}),
            "StoryEmbed": html_tags(["figure", "figcaption"], {"figure": ["data-embed"]}),
            "PullQuote": html_tags(["blockquote", "p"], {"blockquote": ["data-pullquote"]}),
            # tiptap's own: an empty paragraph after a figure at the end, to write on from.
            "TrailingNode": html_tags([]),
        },
    },
]
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)
# The admin: its address, lockout after repeated failures, an optional second factor.
ADMIN_URL = env.get("ADMIN_URL", "admin/").strip("/") + "/"
ADMIN_REQUIRE_2FA = env_bool("ADMIN_REQUIRE_2FA")
OTP_TOTP_ISSUER = env.get("NEWSROOM_SITE_NAME", "Newsroom")
AUTHENTICATION_BACKENDS = [
    "newsroom.security.AxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "newsroom.net.client_ip"
AXES_LOCKOUT_CALLABLE = "newsroom.security.lockout_response"
AXES_VERBOSE = False
# Proxies whose X-Forwarded-For is believed (comma-separated addresses or networks,
# e.g. "127.0.0.1,10.0.0.0/8"). Empty: the socket address is the client.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
TRUSTED_PROXY_NETWORKS = [ipaddress.ip_network(p, strict=False) for p in TRUSTED_PROXIES]
if env_bool("TRUST_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

EMAIL_BACKEND = env.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = env.get("DEFAULT_FROM_EMAIL", "newsroom@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LOG_LEVEL = env.get("LOG_LEVEL", "WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Django's defaults give the "django" logger a console handler of its own in DEBUG;
    # with the root's, every line was printed twice. It now only passes records to the
    # root; runserver's request lines keep their own format, once.
    "loggers": {
        "django": {"handlers": [], "level": "INFO" if DEBUG else LOG_LEVEL, "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}

# Scale-out (docs/operations.md, "Production and scale-out").
# Read replicas: reader-facing reads go to a replica (newsroom/db_router.py).
DATABASE_REPLICAS = []
for _number, _url in enumerate(env_list("DATABASE_REPLICA_URLS"), start=1):
    DATABASES[f"replica{_number}"] = _prepare_statements(
        {
            **dj_database_url.parse(
                _url, conn_max_age=env_int("CONN_MAX_AGE", 600), conn_health_checks=True
            ),
            "TEST": {"MIRROR": "default"},
        }
    )
    DATABASE_REPLICAS.append(f"replica{_number}")
if DATABASE_REPLICAS:
    DATABASE_ROUTERS = ["newsroom.db_router.ReplicaRouter"]
    MIDDLEWARE = ["newsroom.db_router.ReplicaRoutingMiddleware", *MIDDLEWARE]

# Media on S3-compatible object storage through django-storages (the `s3` extra);
# credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY as boto3 reads them.
if env.get("AWS_STORAGE_BUCKET_NAME"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env["AWS_STORAGE_BUCKET_NAME"],
            "endpoint_url": env.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env.get("AWS_S3_REGION_NAME") or None,
            "custom_domain": env.get("AWS_S3_CUSTOM_DOMAIN") or None,
            "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH"),
            # e.g. "public-read" where the bucket uses ACLs rather than a bucket policy.
            "default_acl": env.get("AWS_DEFAULT_ACL") or None,
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "public, max-age=86400"},
        },
    }

# CDN (newsroom/cdn.py): Surrogate-Key on public pages, purge by key after changes.
CDN_PURGE_URL = env.get("CDN_PURGE_URL", "")
CDN_PURGE_TOKEN = env.get("CDN_PURGE_TOKEN", "")
CDN_PURGE_TIMEOUT = env_int("CDN_PURGE_TIMEOUT", 5)
# With purging in place a CDN may keep pages longer than browsers; 0: follow s-maxage.
CDN_MAX_AGE = env_int("CDN_MAX_AGE", 0)
MIDDLEWARE = ["newsroom.cdn.SurrogateKeyMiddleware", *MIDDLEWARE]

# Background work (newsroom/tasks.py) through Django's tasks API (the django-tasks
# backport). "database" (the default): tasks wait in a table and `manage.py db_worker`
# runs them; "rq": they wait in Redis (REDIS_URL, or TASKS_REDIS_URL) and
# `manage.py rqworker --with-scheduler` runs them, on as many machines as needed;
# "immediate": run at once in the request's process (the test suite, no worker).
TASKS_BACKEND = env.get("TASKS_BACKEND", "database").strip().lower() or "database"
TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
if TASKS_BACKEND not in TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND={TASKS_BACKEND!r}: use one of {', '.join(sorted(TASK_BACKENDS))}."
    )
TASKS = {"default": {"BACKEND": TASK_BACKENDS[TASKS_BACKEND], "QUEUES": ["default"]}}
TASKS_REDIS_URL = env.get("TASKS_REDIS_URL", "") or REDIS_URL
if TASKS_BACKEND == "rq" and not TASKS_REDIS_URL:
    raise ImproperlyConfigured("TASKS_BACKEND=rq needs REDIS_URL (or TASKS_REDIS_URL).")
RQ_QUEUES = {"default": {"URL": TASKS_REDIS_URL or "redis://127.0.0.1:6379/0"}}
# `rqworker` runs Django tasks only with django-tasks-rq's job class (ours: a task whose
# worker was killed runs again, newsroom/tasks_rq.py).
RQ = {
    "JOB_CLASS": "newsroom.tasks_rq.Job",
    "QUEUE_CLASS": "newsroom.tasks_rq.Queue",
    "WORKER_CLASS": "newsroom.tasks_rq.Worker",
}
# RQ: times a job whose worker died (SIGKILL, out of memory) is requeued, and how often
# (seconds) workers look for such jobs.
TASK_RQ_ABANDONED_RETRIES = env_int("TASK_RQ_ABANDONED_RETRIES", 3)
TASK_RQ_MAINTENANCE_INTERVAL = env_int("TASK_RQ_MAINTENANCE_INTERVAL", 60)
# A failing task runs again after TASK_RETRY_DELAY seconds, then twice that, and so on
# (at most TASK_RETRY_MAX_DELAY), TASK_MAX_ATTEMPTS times in all.
TASK_MAX_ATTEMPTS = env_int("TASK_MAX_ATTEMPTS", 5)
TASK_RETRY_DELAY = env_int("TASK_RETRY_DELAY", 30)
TASK_RETRY_MAX_DELAY = env_int("TASK_RETRY_MAX_DELAY", 3600)
# A task shown as running for longer than this many seconds was left by a worker that
# was killed (SIGKILL, out of memory): db_worker puts it back in the queue
# (newsroom.tasks.requeue_abandoned). Longer than any task takes.
TASK_RUNNING_TIMEOUT = env_int("TASK_RUNNING_TIMEOUT", 3600)

# Webhooks (newsroom/webhooks.py): signed POSTs to partners after each change.
WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 10)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_RETRY_DELAY = env_int("WEBHOOK_RETRY_DELAY", 30)
# A webhook whose deliveries failed this many times in a row is switched off.
WEBHOOK_DISABLE_AFTER = env_int("WEBHOOK_DISABLE_AFTER", 5)
# Receivers on private, loopback and link-local addresses (development, tests only).
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE")

# Uploads larger than this many pixels (width x height) get their renditions from a
# background task; readers see the original until they exist.
IMAGE_BACKGROUND_PIXELS = env_int("IMAGE_BACKGROUND_PIXELS", 4_000_000)

# The do-nothing view bench/run measures as its ceiling; never on in production.
BENCH_ENDPOINTS = env_bool("BENCH_ENDPOINTS")

TAGGIT_CASE_INSENSITIVE = True

# Reader comments (comments/moderation.py). Times in seconds unless named in days.
COMMENTS_RATE_LIMIT_INTERVAL = env_int("COMMENTS_RATE_LIMIT_INTERVAL", 15)
COMMENTS_RATE_LIMIT_HOURLY = env_int("COMMENTS_RATE_LIMIT_HOURLY", 20)
COMMENTS_MIN_FORM_SECONDS = env_int("COMMENTS_MIN_FORM_SECONDS", 3)
COMMENTS_FORM_MAX_AGE = env_int("COMMENTS_FORM_MAX_AGE", 2 * 24 * 3600)
COMMENTS_MAX_LENGTH = env_int("COMMENTS_MAX_LENGTH", 5000)
COMMENTS_MAX_LINKS = env_int("COMMENTS_MAX_LINKS", 2)
COMMENTS_SPAM_WAVE_ARTICLES = env_int("COMMENTS_SPAM_WAVE_ARTICLES", 3)
COMMENTS_CLOSE_AFTER_DAYS = env_int("COMMENTS_CLOSE_AFTER_DAYS", 30)  # 0: never by age
COMMENTS_AUTO_APPROVE_TRUSTED = env_bool("COMMENTS_AUTO_APPROVE_TRUSTED")
COMMENTS_FLAG_THRESHOLD = env_int("COMMENTS_FLAG_THRESHOLD", 3)
COMMENTS_QUEUE_ALERT_THRESHOLD = env_int("COMMENTS_QUEUE_ALERT_THRESHOLD", 100)
COMMENTS_QUEUE_ALERT_INTERVAL = env_int("COMMENTS_QUEUE_ALERT_INTERVAL", 3600)
COMMENTS_PER_PAGE = env_int("COMMENTS_PER_PAGE", 50)
COMMENTS_RETENTION_DAYS = env_int("COMMENTS_RETENTION_DAYS", 90)
# Key for the address hash; empty: derived from SECRET_KEY.
COMMENTS_HASH_KEY = env.get("COMMENTS_HASH_KEY", "")

# The publication, as readers and search engines see it.
NEWSROOM_SITE_NAME = env.get("NEWSROOM_SITE_NAME", "The Newsroom Chronicle")
NEWSROOM_SITE_URL = env.get("NEWSROOM_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
NEWSROOM_LANGUAGE = env.get("NEWSROOM_LANGUAGE", "en")
NEWSROOM_PUBLISHER_LOGO = env.get("NEWSROOM_PUBLISHER_LOGO", "img/logo.png")

# Reader's site. Anonymous pages are kept in the shared cache this many seconds
# (0 turns the page cache off); browsers keep them at most PAGE_BROWSER_SECONDS.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 300)
PAGE_BROWSER_SECONDS = env_int("PAGE_BROWSER_SECONDS", 60)
# Rendered parts of pages (a story, a comment thread, a list) are kept this many
# seconds for the views that still run: with the page cache off, for signed-in staff,
# and on a page-cache miss. Any change a reader could see ends them at once; 0: off.
FRAGMENT_CACHE_SECONDS = env_int("FRAGMENT_CACHE_SECONDS", 600)
# Each process also keeps the fragments it served last in memory (checked against the
# shared version, so never stale): up to this many MB, the least recently used out first.
FRAGMENT_LOCAL_MB = env_int("FRAGMENT_LOCAL_MB", 16)
# PostgreSQL text search configuration; after changing it run rebuild_search_index.
SEARCH_CONFIG = env.get("SEARCH_CONFIG", "english")
# Search ranks at most this many of the newest matches (a common word matches thousands).
SEARCH_CANDIDATES = env_int("SEARCH_CANDIDATES", 1000)
FEED_ITEMS = env_int("FEED_ITEMS", 30)

# Live coverage (articles/models/live.py). A live page shows this many updates a page
# (pinned ones on top of the first); readers' pages ask for new ones every
# LIVE_POLL_SECONDS (more slowly while the tab is hidden). Reporters write draft
# updates and editors publish them, unless LIVE_REPORTERS_PUBLISH lets a reporter
# bylined on the live story publish their own.
LIVE_UPDATES_PER_PAGE = env_int("LIVE_UPDATES_PER_PAGE", 20)
LIVE_POLL_SECONDS = env_int("LIVE_POLL_SECONDS", 20)
LIVE_REPORTERS_PUBLISH = env_bool("LIVE_REPORTERS_PUBLISH")

# Embeds in story bodies (articles/embeds.py; docs/architecture.md, "Embeds"). Only
# these providers may be embedded: a page address matching one of `urls` (shell-style
# patterns) is resolved through `endpoint` (oEmbed, JSON), and its frame may load only
# from `frame_origins`. `rewrite_origins` moves a provider's frame to its
# privacy-preserving domain. None of these needs an account or a token.
EMBED_PROVIDERS = [
    {
        "name": "YouTube",
        "endpoint": "https://www.youtube.com/oembed",
        "urls": [
            "https://www.youtube.com/watch?*",
            "https://youtube.com/watch?*",
            "https://m.youtube.com/watch?*",
            "https://youtu.be/*",
            "https://www.youtube.com/shorts/*",
        ],
        "frame_origins": ["https://www.youtube-nocookie.com"],
        "rewrite_origins": {"https://www.youtube.com": "https://www.youtube-nocookie.com"},
    },
    {
        "name": "Vimeo",
        # dnt=1: Vimeo's player then sets no cookies and records no session.
        "endpoint": "https://vimeo.com/api/oembed.json?dnt=1",
        "urls": ["https://vimeo.com/*", "https://player.vimeo.com/video/*"],
        "frame_origins": ["https://player.vimeo.com"],
    },
    {
        "name": "SoundCloud",
        "endpoint": "https://soundcloud.com/oembed",
        "urls": ["https://soundcloud.com/*", "https://on.soundcloud.com/*"],
        "frame_origins": ["https://w.soundcloud.com"],
    },
    {
        "name": "Spotify",
        "endpoint": "https://open.spotify.com/oembed",
        "urls": ["https://open.spotify.com/*"],
        "frame_origins": ["https://open.spotify.com"],
    },
    {
        "name": "Datawrapper",
        "endpoint": "https://api.datawrapper.de/v3/oembed/",
        "urls": ["https://datawrapper.dwcdn.net/*"],
        "frame_origins": ["https://datawrapper.dwcdn.net"],
    },
    {
        "name": "Flourish",
        "endpoint": "https://app.flourish.studio/api/v1/oembed",
        "urls": [
            "https://public.flourish.studio/visualisation/*",
            "https://public.flourish.studio/story/*",
        ],
        "frame_origins": ["https://flo.uri.sh"],
    },
]
# Refuse to fetch from private, loopback and link-local addresses (a provider or a
# thumbnail address that points inside the network); on only for tests and development.
EMBED_ALLOW_PRIVATE = env_bool("EMBED_ALLOW_PRIVATE")
# Seconds one request to a provider may take; saving an article waits at most this long
# per address not resolved yet, then leaves a plain link.
EMBED_TIMEOUT = float(env.get("EMBED_TIMEOUT", "3"))
NEWS_SITEMAP_DAYS = 2
