"""Settings for kubesim: a simulated Kubernetes cluster in a Django app.

SQLite by default (WAL, IMMEDIATE transactions, busy timeout: see docs/architecture.md);
DATABASE_URL switches to PostgreSQL and REDIS_URL to the Redis channel layer.
"""
import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KUBESIM_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)



def _secret_key() -> str:
    """DJANGO_SECRET_KEY, or a random key made on first start and kept in the var directory
    (sessions and the one-time sign-in links are signed with it: a key known to everyone would
    let anyone on the classroom network forge a teacher's session)."""
    if os.environ.get("DJANGO_SECRET_KEY"):
        return os.environ["DJANGO_SECRET_KEY"]
    path = VAR_DIR / "secret_key"
    if not path.exists():  # written whole, then linked into place: processes starting together agree
        draft = VAR_DIR / f"secret_key.{os.getpid()}"
        draft.write_text(secrets.token_urlsafe(50))
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


SECRET_KEY = _secret_key()
# Off unless asked for (DJANGO_DEBUG=1): students on the network must not see debug pages.
DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
# Serving a classroom on the LAN: KUBESIM_ALLOWED_HOSTS="192.168.1.20,kubesim.school" (also the
# origins the dashboard's WebSocket accepts).
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"] + [
    h for h in os.environ.get("KUBESIM_ALLOWED_HOSTS", "").split(",") if h
]

INSTALLED_APPS = [
    # the project's own apps first, so their management commands win over daphne's
    "cluster",
    "controllers",
    "dashboard",
    "k8sapi",
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "template_partials",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"

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

ASGI_APPLICATION = "config.asgi.application"

SQLITE_OPTIONS = {
    # WAL + IMMEDIATE: every atomic() takes the write lock up front, so a transaction that
    # read first never fails to upgrade ("database is locked"). See docs/architecture.md.
    # 16 KiB pages (for a new database file; SQLite's default is 4 KiB): a pod's row is 2-3 KB
    # of JSON, and the WAL is checkpointed every 1,000 pages, 16 MB instead of 4 (the Job bench
    # of 10,000 pods: 10 % less time, docs/performance.md).
    "init_command": "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA busy_timeout=20000;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=0)}
    if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("KUBESIM_DB", str(VAR_DIR / "db.sqlite3")),
            "OPTIONS": dict(SQLITE_OPTIONS),
            # a file, not :memory:, so that several test processes can share it
            # one file per test process: parallel runs (and subprocesses of a test) never collide
            "TEST": {"NAME": os.environ.get("KUBESIM_TEST_DB", str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3"))},
        }
    }
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"].setdefault("TEST", {})
    DATABASES["default"]["TEST"].setdefault("NAME", "test_" + DATABASES["default"]["NAME"])

if os.environ.get("REDIS_URL"):
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8 defaults socket_timeout to 5 s, shorter than channels_redis' blocking
            # pop: without None the worker dies with TimeoutError (django/channels_redis#422).
            "CONFIG": {
                "hosts": [{"address": os.environ["REDIS_URL"], "socket_timeout": None}],
                "capacity": 5000,
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": 5000},
        }
    }

AUTH_PASSWORD_VALIDATORS = []

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGIN_URL = "admin:login"

# "embedded": the server process runs the controllers; "worker": separate runworker processes;
# "off": nothing reconciles on its own (unit tests drive the engine by hand).
RECONCILER_MODE = os.environ.get("RECONCILER_MODE", "embedded")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KUBESIM_LOG_LEVEL", "WARNING")},
}
