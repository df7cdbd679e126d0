"""fitsportal settings: one file, read from the environment.

Every default runs the laptop demo (SQLite under ``var/``, tasks in a worker thread of
the server, in-memory channel layer, local-memory cache). Production differs only by
environment variables: ``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY``, ...
"""

import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def envint(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def envlist(name, default=(), sep=","):
    value = os.environ.get(name, "")
    items = [item.strip() for item in value.split(sep) if item.strip()]
    return items or list(default)


def csp_sources(name, default):
    """A CSP source list from the environment: 'none', 'self' (quotes optional) or
    origins (``https://host[:port]``, ``https://*.example.org``), space- or comma-separated."""
    sources = []
    for item in os.environ.get(name, default).replace(",", " ").split():
        keyword = item.strip("'").lower()
        if keyword in ("none", "self"):
            sources.append(f"'{keyword}'")
        elif re.fullmatch(r"https?://(\*\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?", item):
            sources.append(item)
        else:
            raise ImproperlyConfigured(f"{name}: {item!r} is not 'none', 'self' or an origin.")
    if not sources or ("'none'" in sources and len(sources) > 1):
        raise ImproperlyConfigured(f"{name}: 'none' alone, or 'self' and/or origins.")
    return sources


DEBUG = envbool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and not envbool("FITSPORTAL_INSECURE_DEV_KEY", False):
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off "
            "(or set FITSPORTAL_INSECURE_DEV_KEY=1 for a local demo)."
        )
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

# --- where files live ---------------------------------------------------------------
VAR_DIR = Path(os.environ.get("FITSPORTAL_VAR_DIR", BASE_DIR / "var")).resolve()
# Uploads are copied here; registered files stay where they are.
UPLOAD_ROOT = Path(os.environ.get("FITSPORTAL_UPLOAD_ROOT", VAR_DIR / "data")).resolve()
# Pyramids and other derived files, keyed by file checksum.
CACHE_ROOT = Path(os.environ.get("FITSPORTAL_CACHE_ROOT", VAR_DIR / "cache")).resolve()
# Directories whose files may be registered in place (no copy), plus the upload root.
DATA_ROOTS = [UPLOAD_ROOT] + [
    Path(p).resolve() for p in envlist("FITSPORTAL_DATA_ROOTS", sep=os.pathsep)
]
MAX_UPLOAD_BYTES = envint("FITSPORTAL_MAX_UPLOAD_BYTES", 4 * 1024**3)
# What a FITS file's headers may claim, checked before any data is read: its data (all
# HDUs), and its image as the float32 the pyramid stores.
MAX_IMAGE_BYTES = envint("FITSPORTAL_MAX_IMAGE_BYTES", 32 * 1024**3)
# A gzip'd FITS file is decompressed at registration, never past this many bytes.
MAX_DECOMPRESSED_BYTES = envint("FITSPORTAL_MAX_DECOMPRESSED_BYTES", 4 * 1024**3)
MAX_HEADER_BYTES = envint("FITSPORTAL_MAX_HEADER_BYTES", 8 * 1024**2)
MAX_HDUS = envint("FITSPORTAL_MAX_HDUS", 1000)
# Abandoned files (interrupted uploads, half-built pyramids) are removed at start-up and
# this often (seconds; 0: only at start-up); an upload file nobody locks, this old, is
# abandoned (portal/housekeeping.py).
HOUSEKEEPING_INTERVAL = envint("FITSPORTAL_HOUSEKEEPING_INTERVAL", 900)
INCOMING_MAX_AGE = envint("FITSPORTAL_INCOMING_MAX_AGE", 600)
# Who a session or token is, and what a user may see, are remembered per process this long
# at most (seconds; portal/auth.py, portal/permissions.py): changes drop them at once in
# every process that hears of them (portal/invalidation.py); this bounds what a process
# that did not (no Redis, or cut off from it) keeps. Open websockets check again as often.
ACCESS_CACHE_SECONDS = envint("FITSPORTAL_ACCESS_CACHE_SECONDS", 10)
TILE_SIZE = 256
# Rendered tiles kept in the "tiles" cache (bounded) and for how long; HTTP caching times.
TILE_CACHE_ENABLED = envbool("FITSPORTAL_TILE_CACHE", True)
TILE_CACHE_SECONDS = envint("FITSPORTAL_TILE_CACHE_SECONDS", 3600)
TILE_MAX_AGE_PUBLIC = envint("FITSPORTAL_TILE_MAX_AGE_PUBLIC", 86400)
# What one request may ask for (tiles/params.py, tiles/iip.py): a region snapshot's output
# pixels (1024 tiles of 256 x 256), a FITS cutout's values (pixels x channels), a profile's
# length in pixels (REST and IIP PFL) and its values (pixels x channels), histogram bins,
# channels named (channel, CHAN, MIX, MINMAX) or mixed in colour mode.
MAX_REGION_PIXELS = envint("FITSPORTAL_MAX_REGION_PIXELS", 1024 * 256 * 256)
MAX_CUTOUT_PIXELS = envint("FITSPORTAL_MAX_CUTOUT_PIXELS", 1024 * 256 * 256)
MAX_PROFILE_POINTS = envint("FITSPORTAL_MAX_PROFILE_POINTS", 100_000)
MAX_PROFILE_VALUES = envint("FITSPORTAL_MAX_PROFILE_VALUES", 1_000_000)
MAX_HISTOGRAM_BINS = envint("FITSPORTAL_MAX_HISTOGRAM_BINS", 4096)
MAX_REQUEST_CHANNELS = envint("FITSPORTAL_MAX_REQUEST_CHANNELS", 256)
# Heavy operations running at once in one server process (tiles/heavy.py); one more is
# answered 503 with Retry-After (seconds) at once.
HEAVY_SLOTS = {
    "region": envint("FITSPORTAL_CONCURRENT_REGIONS", 2),
    "cutout": envint("FITSPORTAL_CONCURRENT_CUTOUTS", 2),
    "profile": envint("FITSPORTAL_CONCURRENT_PROFILES", 4),
    "histogram": envint("FITSPORTAL_CONCURRENT_HISTOGRAMS", 4),
}
HEAVY_RETRY_AFTER = envint("FITSPORTAL_BUSY_RETRY_AFTER", 2)
# Images whose data (file handles, pyramid maps) one process keeps open (tiles/service.py).
OPEN_IMAGES = envint("FITSPORTAL_OPEN_IMAGES", 64)
# Catalogs: bytes of one catalog or region file, features per catalog, bytes of one
# feature, features and bytes per query answer.
MAX_CATALOG_BYTES = envint("FITSPORTAL_MAX_CATALOG_BYTES", 200 * 1024**2)
MAX_CATALOG_FEATURES = envint("FITSPORTAL_MAX_CATALOG_FEATURES", 1_000_000)
MAX_FEATURE_BYTES = envint("FITSPORTAL_MAX_FEATURE_BYTES", 64 * 1024)
MAX_QUERY_FEATURES = envint("FITSPORTAL_MAX_QUERY_FEATURES", 50_000)
MAX_QUERY_BYTES = envint("FITSPORTAL_MAX_QUERY_BYTES", 32 * 1024**2)
# Queue ingest + pyramid warm as soon as an image is registered (else: manage.py warm_images).
WARM_ON_REGISTER = envbool("FITSPORTAL_WARM_ON_REGISTER", True)

# --- applications -------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "channels",
    "csp",
    "portal",
    "tiles",
    "catalogs",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "portal.urls"
ASGI_APPLICATION = "portal.asgi.application"
WSGI_APPLICATION = "portal.wsgi.application"

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
            ],
        },
    },
]

# --- database -----------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'fitsportal.sqlite3'}",
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Tasks write from a worker thread while requests read: WAL lets readers go on,
    # immediate transactions and a timeout make writers wait instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=20, transaction_mode="IMMEDIATE", init_command="PRAGMA journal_mode=WAL;"
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The test database is a file too: an in-memory one cannot be shared with threads.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker, channel layer, cache --------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "portal.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "fitsportal",
        }
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Rendered tiles get a cache of their own so they never evict sessions or permissions.
# Bounded in bytes as well as entries (tiles/tile_cache.py): clients choose what is cached.
CACHES["tiles"] = {
    "BACKEND": "tiles.tile_cache.BoundedLocMemCache",
    "LOCATION": "fitsportal-tiles",
    "OPTIONS": {
        "MAX_ENTRIES": envint("FITSPORTAL_TILE_CACHE_ENTRIES", 20000),
        "MAX_BYTES": envint("FITSPORTAL_TILE_CACHE_BYTES", 256 * 1024**2),
    },
}

# Without a broker, tasks run in a background thread of the server process (see
# portal/jobs.py); with one, in `celery -A portal worker` processes.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("FITSPORTAL_TASK_QUEUE") or "celery"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
# Without a broker, publishing fails fast (the image stays pending, with the reason).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2

# --- auth, API ----------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "portal.auth.CachedModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: anonymous users get no object permissions
GUARDIAN_RAISE_403 = False
# Sessions are read from the cache (written through to the database): no query per tile.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "portal.auth.CachedTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    # JSON bodies nested at most MAX_JSON_DEPTH deep (portal/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "portal.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.PortalPagination",
    "PAGE_SIZE": envint("FITSPORTAL_PAGE_SIZE", 50),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.errors.json_exception_handler",
    "DEFAULT_THROTTLE_RATES": {"login": os.environ.get("FITSPORTAL_LOGIN_RATE", "20/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "fitsportal API",
    "DESCRIPTION": "Collections, images, tiles, science access and catalogs.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No schema sent to swagger.io's validator (its badge is an image from another site).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # Images and catalogs both have a "state": one enum name each.
    "ENUM_NAME_OVERRIDES": {
        "ImageStateEnum": "portal.models.Image.STATE_CHOICES",
        "CatalogStateEnum": "catalogs.models.Catalog.STATE_CHOICES",
    },
}

CORS_ALLOWED_ORIGINS = envlist("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/(api|iip)/.*$"

# --- uploads ------------------------------------------------------------------------
FILE_UPLOAD_HANDLERS = ["portal.uploads.LimitedTemporaryFileUploadHandler"]
# Uploads stream to disk here, on the same file system as their final place.
FILE_UPLOAD_TEMP_DIR = str(UPLOAD_ROOT / ".incoming")

# --- static files -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "frontend" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- security -----------------------------------------------------------------------
SECURE_HTTPS = envbool("FITSPORTAL_HTTPS", False)
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_SSL_REDIRECT = SECURE_HTTPS
SECURE_HSTS_SECONDS = 31536000 if SECURE_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = SECURE_HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE_HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
# Who may show the portal's pages in a frame; X-Frame-Options says the same to browsers
# without CSP frame-ancestors (they know no list of origins: SAMEORIGIN is the nearest).
FRAME_ANCESTORS = csp_sources("FITSPORTAL_FRAME_ANCESTORS", "'none'")
X_FRAME_OPTIONS = "DENY" if FRAME_ANCESTORS == ["'none'"] else "SAMEORIGIN"
# The Content-Security-Policy of every response (django-csp; anything else that answers
# HTTP builds the same header with csp.utils.build_policy()): scripts and styles only from
# files of this site (no inline code, no eval), no plugins, no <base>, forms post here only.
# data: images: Leaflet blanks an aborted tile with one. connect-src 'self' covers the
# progress websocket (ws:/wss: of this host, CSP level 3).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": FRAME_ANCESTORS,
        "upgrade-insecure-requests": SECURE_HTTPS,
    }
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Requests refused (4xx) are one bounded line each, and only so many a minute
    # (portal/logfilters.py): Django would log each with its traceback.
    "filters": {"refused_requests": {"()": "portal.logfilters.RefusedRequestLines"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["refused_requests"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        "fitsportal": {"level": os.environ.get("FITSPORTAL_LOG_LEVEL", "INFO")},
    },
}

# --- archive search (archive/) ------------------------------------------------------
INSTALLED_APPS.append("archive")
# Header keywords tried before the defaults for the searchable columns, e.g.
# "band=WAVEBAND,FILT_ID;object=FIELD" (archive/keywords.py documents the mapping).
from archive.keywords import parse_keywords_setting  # noqa: E402

ARCHIVE_KEYWORDS = parse_keywords_setting(os.environ.get("FITSPORTAL_ARCHIVE_KEYWORDS", ""))
# Candidate rows a spatial search examines per request at most (then a partial page
# with its cursor): bounds a request's time whatever the query.
ARCHIVE_MAX_EXAMINED = envint("FITSPORTAL_ARCHIVE_MAX_EXAMINED", 5000)

# --- rendered-tile cache in Redis (tiles/tile_cache.py) -----------------------------
# With Redis, the rendered tiles are kept there, shared by every server process and
# bounded in bytes there (FITSPORTAL_TILE_CACHE_BYTES, 256 MiB); FITSPORTAL_TILE_CACHE_REDIS=0
# keeps them in each process's memory instead.
if REDIS_URL and envbool("FITSPORTAL_TILE_CACHE_REDIS", True):
    CACHES["tiles"] = {
        "BACKEND": "tiles.tile_cache.BoundedRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "fitsportal-tiles",
        "OPTIONS": {"MAX_BYTES": envint("FITSPORTAL_TILE_CACHE_BYTES", 256 * 1024**2)},
    }

# --- object names and survey catalogs (catalogs/resolve.py, catalogs/surveys.py) ----
# Go-to by name looks in the portal's own catalogs and image OBJECTs; with
# FITSPORTAL_SESAME on, names found nowhere there are asked of Sesame (CDS), one URL,
# within FITSPORTAL_SESAME_TIMEOUT seconds, answers kept a day (unknown names an hour).
SESAME_ENABLED = envbool("FITSPORTAL_SESAME", False)
SESAME_URL = os.environ.get("FITSPORTAL_SESAME_URL", "https://cds.unistra.fr/cgi-bin/nph-sesame/")
SESAME_TIMEOUT = float(os.environ.get("FITSPORTAL_SESAME_TIMEOUT", "5"))
# Survey catalogs (Gaia DR3, 2MASS, ...) queried from VizieR for the field in view, with
# FITSPORTAL_SURVEY_CATALOGS on: the VizieR VOTable query URL, the largest cone asked
# (degrees), the rows kept per query (brightest first), the timeout (s), how long a
# field's answer is kept (s).
SURVEY_CATALOGS_ENABLED = envbool("FITSPORTAL_SURVEY_CATALOGS", False)
VIZIER_URL = os.environ.get(
    "FITSPORTAL_VIZIER_URL", "https://vizier.cds.unistra.fr/viz-bin/votable"
)
SURVEY_MAX_RADIUS = float(os.environ.get("FITSPORTAL_SURVEY_MAX_RADIUS", "0.5"))
SURVEY_MAX_ROWS = envint("FITSPORTAL_SURVEY_MAX_ROWS", 5000)
SURVEY_TIMEOUT = float(os.environ.get("FITSPORTAL_SURVEY_TIMEOUT", "15"))
SURVEY_CACHE_SECONDS = envint("FITSPORTAL_SURVEY_CACHE_SECONDS", 7 * 86400)

# A form refused for its CSRF token gets the portal's 403 page.
CSRF_FAILURE_VIEW = "portal.errorpages.csrf_failure"

# --- catalog import and export limits (catalogs/importers/) ---------------------------
# The importers read MAX_CATALOG_BYTES, MAX_CATALOG_FEATURES and MAX_FEATURE_BYTES (one
# feature, and one line of a CSV/TSV/ds9 file) above when they are used; and the CSV
# export writes at most this many property columns (the first keys met).
MAX_EXPORT_COLUMNS = envint("FITSPORTAL_MAX_EXPORT_COLUMNS", 500)
