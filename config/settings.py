"""CCAP Help Desk settings.

With no environment at all this runs on embedded defaults: SQLite, the in-memory channel layer,
the django-q2 ORM broker, a local-memory cache and an outbox folder of ``.eml`` files.
Environment variables switch each piece to a real service (see README, "Production").
``CCAP_ENV=production`` turns on the production checks: no default secret, no DEBUG, secure cookies.
"""

import ipaddress
import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_required, env_str
from config.ldap import ldap_settings
from config.oidc import oidc_settings
from config.retention import retention_settings
from config.site import served_host, site_url
from config.webauthn import webauthn_origin, webauthn_rp_id
from helpdesk import paths

BASE_DIR = paths.BASE_DIR
VAR_DIR = paths.var_dir()

CCAP_ENV = env_str("CCAP_ENV", "development")
if CCAP_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("CCAP_ENV must be 'development' or 'production'.")
PRODUCTION = CCAP_ENV == "production"

if PRODUCTION:
    SECRET_KEY = env_required("SECRET_KEY")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production (comma separated).")
    DEBUG = env_bool("DEBUG", False)
else:
    # A development-only key: production refuses to start without its own SECRET_KEY.
    SECRET_KEY = env_str("SECRET_KEY", "dev-insecure-7f1c0b2e-not-for-production")  # noqa: S105
    ALLOWED_HOSTS = env_list(
        "ALLOWED_HOSTS",
        list(dict.fromkeys(["localhost", "127.0.0.1", "[::1]", served_host(os.environ)])),
    )
    DEBUG = env_bool("DEBUG", True)

# The public address in every link we send; unset, where HOST and PORT serve it (config.site).
SITE_URL = site_url(os.environ)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "config.apps.CcapAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    # Second factors (docs/security.md): TOTP and WebAuthn passkeys as django-otp devices.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",
    "django_q",
    "channels",
    # The REST API (docs/api.md) and its OpenAPI 3.1 schema.
    "rest_framework",
    "drf_spectacular",
    # Project apps, lowest layer first (DESIGN.md: lower layers never import higher ones).
    "escalation",
    "helpdesk",
    "forms_4052_4055",
    "access",
]
# Daphne's app only makes `manage.py runserver` serve ASGI (websockets); loading it installs
# Twisted's reactor, a third of a second added to every other command, the MTA's per-message
# ingest_mail and the worker among them. The web process runs daphne itself (Procfile).
if sys.argv[1:2] == ["runserver"]:
    INSTALLED_APPS.insert(0, "daphne")

MIDDLEWARE = [
    # Request counts and latencies for /metrics (django-prometheus; its database wrappers are
    # not used: the engines stay Django's own).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy (django-csp) on every page; the policy is CONTENT_SECURITY_POLICY.
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "helpdesk.lib.middleware.no_store_for_signed_in",
    # request.user.is_verified(): has this session passed a second factor (django-otp)?
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Staff who have not passed their second factor see only the MFA pages and sign-out.
    "helpdesk.auth.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns lockouts raised by authentication into responses.
    "axes.middleware.AxesMiddleware",
    # django-prometheus's closing half: innermost, so it sees the view's own response.
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "helpdesk.home.context_processors.navigation",
                "helpdesk.search.context_processors.search_box",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'ccap.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker) share the file: wait for locks instead of failing,
    # and take the write lock at BEGIN so transactions never deadlock upgrading it.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, django-q2 broker, cache ------------------------------------------
REDIS_URL = env_str("REDIS_URL")

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": "ccap:channels"},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "ccap",
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Live updates from other processes when the channel layer cannot carry them (in-memory): a
# table the web processes read (helpdesk.tickets.relay). Unset: on exactly when in-memory.
LIVE_RELAY = env_bool("LIVE_RELAY") if env_str("LIVE_RELAY") else None
LIVE_RELAY_POLL_SECONDS = env_int("LIVE_RELAY_POLL_MS", 1000) / 1000

Q_CLUSTER = {
    "name": "ccap",
    "workers": env_int("Q_WORKERS", 2),
    "timeout": 120,
    "retry": 300,
    "max_attempts": 5,
    "catch_up": False,
    "label": "Background tasks",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 1

# --- Authentication ---------------------------------------------------------------------------
AUTH_USER_MODEL = "helpdesk.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_LDAP = ldap_settings()
globals().update(AUTH_LDAP.django_settings)
AUTH_OIDC = oidc_settings()
globals().update(AUTH_OIDC.django_settings)
AUTHENTICATION_BACKENDS = [
    # django-axes first, so a locked-out username never reaches a password check.
    "axes.backends.AxesStandaloneBackend",
    *(["helpdesk.auth.backends.DirectoryBackend"] if AUTH_LDAP.enabled else []),
    *(["helpdesk.auth.oidc.SingleSignOnBackend"] if AUTH_OIDC.enabled else []),
    "django.contrib.auth.backends.ModelBackend",
]

# Second factors. The issuer names this site in authenticator apps; a TOTP code is good for
# one 30-second step either side of now (clock drift), and each is accepted once.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "CCAP Help Desk")
OTP_TOTP_TOLERANCE = 1
# Never show a TOTP key or its QR code in the admin (helpdesk/admin/second_factors.py also
# takes the device admins away).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Passkeys (django-otp-webauthn): a second factor after the password, never a login alone,
# so every sign-in still passes the password check and its throttling.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_RP_NAME = env_str("OTP_WEBAUTHN_RP_NAME", "CCAP Help Desk")
# The relying party is this site's host name, and only its own origin may answer. Browsers
# allow WebAuthn on https and on http://localhost only, so a plain-http SITE_URL (development)
# offers passkeys at http://localhost on its port.
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list("OTP_WEBAUTHN_ALLOWED_ORIGINS", [webauthn_origin(SITE_URL)])
OTP_WEBAUTHN_RP_ID = env_str("OTP_WEBAUTHN_RP_ID", webauthn_rp_id(OTP_WEBAUTHN_ALLOWED_ORIGINS[0]))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 2  # a reset link is good for two hours

# How many reverse proxies stand in front of the app, each appending to X-Forwarded-For; the
# client address (helpdesk.lib.client_address, through django-ipware) is read accordingly.
PROXY_COUNT = env_int("PROXY_COUNT", 0)

# Login throttling: five failures for one username from one address lock that pair for 30
# minutes (django-axes), so an attacker's guesses lock the attacker's address out, not the
# person. Axes has one failure limit for every parameter set, so the wider limits (failures
# per address, per account from anywhere) are request limits below (THROTTLE_RATES).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_SENSITIVE_PARAMETERS = ["password", "new_password1", "new_password2", "old_password"]
AXES_CLIENT_IP_CALLABLE = "helpdesk.lib.client_address.client_address"

# Request limits (django-ratelimit, counted in the default cache: per process with the embedded
# local-memory cache, shared by every process with Redis), as "<count>/<s|m|h|d>". Over a limit
# the page answers 429 "Too many requests" (helpdesk.lib.throttle).
RATELIMIT_IP_META_KEY = AXES_CLIENT_IP_CALLABLE
THROTTLE_RATES = {
    # failed sign-ins from one address (an office behind one NAT shares it), any username
    "sign_in_failures_per_address": env_str("THROTTLE_SIGN_IN_PER_ADDRESS", "30/h"),
    # failed sign-ins for one username from anywhere: bounds a guessing attack spread over
    # many addresses; high, because reaching it refuses that account's sign-in for the hour
    "sign_in_failures_per_account": env_str("THROTTLE_SIGN_IN_PER_ACCOUNT", "50/h"),
    # password reset requests from one address, and for one typed email address
    "password_reset_per_address": env_str("THROTTLE_RESET_PER_ADDRESS", "10/h"),
    "password_reset_per_email": env_str("THROTTLE_RESET_PER_EMAIL", "3/h"),
    # token links (password reset confirmation, procedure acknowledgement) from one address
    "token_links_per_address": env_str("THROTTLE_TOKEN_LINKS_PER_ADDRESS", "30/h"),
    # API requests per personal access token, and per signed-in user of the API's session
    "api_requests_per_token": env_str("THROTTLE_API_PER_TOKEN", "600/m"),
    "api_requests_per_user": env_str("THROTTLE_API_PER_USER", "600/m"),
}

# --- The REST API (helpdesk.api, docs/api.md) ---------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "helpdesk.api.auth.BearerTokenAuthentication",
        "helpdesk.api.auth.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["helpdesk.api.auth.ScopedAccess"],
    "DEFAULT_THROTTLE_CLASSES": ["helpdesk.api.auth.PerTokenThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["helpdesk.api.parsers.LimitedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "helpdesk.api.errors.problem_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DATETIME_FORMAT": "iso-8601",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CCAP Help Desk API",
    "DESCRIPTION": "File and follow CCAP Help Desk tickets from your own tools (docs/api.md).",
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "TicketStateEnum": "escalation.workflow.TicketState",
        "NoticeStateEnum": "helpdesk.models.notices.NoticeState",
        "TicketSourceEnum": "helpdesk.models.tickets.Source",
        "InboundSourceEnum": "helpdesk.models.inbound.InboundSource",
        "NoticeAudienceEnum": "helpdesk.models.notices.NoticeAudience",
        "ProcedureAudienceEnum": "helpdesk.models.procedures.ProcedureAudience",
    },
}
# A personal access token lives at most this many days (its owner chooses, up to this).
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365)
# An Idempotency-Key's first answer is replayed for this many hours.
API_IDEMPOTENCY_HOURS = 24

# --- Sessions and transport security -----------------------------------------------------------
SESSION_COOKIE_AGE = env_int("SESSION_HOURS", 9) * 60 * 60  # one working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Only this site's own files run or style a page: no inline <script>, no event handler
# attributes, no style= (templates/ is scanned for them by a test). An injected tag can neither
# run nor load from elsewhere, nor frame us, nor post a form to another host.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("BEHIND_TLS_PROXY", True):
        # The proxy terminates TLS and says so; never trust this header without a proxy.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Email ------------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "CCAP Help Desk <ccap-helpdesk@localhost>")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
EMAIL_SUBJECT_PREFIX = "[CCAP Help Desk] "
HELPDESK_MAILBOX = env_str("HELPDESK_MAILBOX", "ccap-helpdesk@localhost")
# Who hears about missed SLA targets besides the assignee (comma separated addresses).
HELP_DESK_SUPERVISORS = env_list("HELP_DESK_SUPERVISORS", [HELPDESK_MAILBOX])
EMAIL_OUTBOX_DIR = Path(env_str("EMAIL_OUTBOX_DIR", str(VAR_DIR / "outbox")))
# The demo's own mail (`manage.py seed_demo`: twelve weeks of history, to demo addresses) is
# delivered here as .eml files, whatever the mail settings, so the outbox starts empty.
DEMO_OUTBOX_DIR = Path(env_str("DEMO_OUTBOX_DIR", str(VAR_DIR / "demo-outbox")))
# Outgoing mail (helpdesk.emails): a message the mail server refused is tried again after each
# of these delays in seconds (1 minute, 5, 30, 2 hours), then marked failed and kept. One still
# waiting this long after it was due (its task lost with a killed worker) is queued again.
EMAIL_RETRY_DELAYS = [int(s) for s in env_list("EMAIL_RETRY_DELAYS", ["60", "300", "1800", "7200"])]
EMAIL_STALE_AFTER_SECONDS = env_int("EMAIL_STALE_AFTER_SECONDS", 900)
if env_str("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env_str("EMAIL_HOST")
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
elif PRODUCTION:
    raise ImproperlyConfigured("EMAIL_HOST must be set in production: the help desk runs on email.")
else:
    EMAIL_BACKEND = "helpdesk.lib.outbox.OutboxEmailBackend"

# Inbound mail (the help desk mailbox); used by the mail intake. Unset: a drop folder of .eml files.
IMAP = {
    "host": env_str("IMAP_HOST"),
    "port": env_int("IMAP_PORT", 993),
    "username": env_str("IMAP_USERNAME"),
    "password": env_str("IMAP_PASSWORD"),
    "ssl": env_bool("IMAP_SSL", True),
    "folder": env_str("IMAP_FOLDER", "INBOX"),
}
MAIL_DROP_DIR = paths.mail_drop_dir()  # also where helpdesk.mail.door writes

# Where the audit trail's chain head is written each day (helpdesk.audit.export_head). Point it
# at storage the database's administrators cannot rewrite (another machine, a WORM bucket
# mount): a head kept there is what shows a chain rewritten up to it.
AUDIT_HEADS_DIR = Path(env_str("AUDIT_HEADS_DIR", str(VAR_DIR / "audit-heads")))

# Retention (docs/retention.md): years per kind of record and what the clock counts from,
# RETENTION_<KIND>_YEARS / _FROM in the environment; checked at start-up. The daily purge
# deletes in batches of this many rows, each batch in its own transaction.
RETENTION = retention_settings()
RETENTION_BATCH_SIZE = env_int("RETENTION_BATCH_SIZE", 500)

# The password of every demo login made by `manage.py seed_demo` (refused in production).
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "ccap-demo-2026")

# --- Internationalisation: the program runs on Central time ----------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/Chicago"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Uploaded evidence (attachments, signed forms) lives outside any public path and is served
# only through permission-checked views.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))
MEDIA_ROOT = PRIVATE_MEDIA_ROOT
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_MB", 10) * 1024 * 1024
SECURITY_FORM_MAX_BYTES = env_int("SECURITY_FORM_MAX_MB", 10) * 1024 * 1024

# --- Operations (docs/operations.md) ----------------------------------------------------------
# Who may read /metrics: networks (CIDR), by the client address PROXY_COUNT gives.
METRICS_ALLOWED_ADDRESSES = env_list("METRICS_ALLOWED_ADDRESSES", ["127.0.0.1/32", "::1/128"])
try:
    METRICS_ALLOWED_NETWORKS = [
        ipaddress.ip_network(cidr, strict=False) for cidr in METRICS_ALLOWED_ADDRESSES
    ]
except ValueError as error:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_ADDRESSES: {error}") from error
# /readyz reports the worker's heartbeat (every minute) and the last good mail poll (every
# minute) as stale past these ages.
READYZ_WORKER_STALE_SECONDS = env_int("READYZ_WORKER_STALE_SECONDS", 180)
READYZ_MAIL_POLL_STALE_SECONDS = env_int("READYZ_MAIL_POLL_STALE_SECONDS", 300)

# --- Logging: to stderr, never a secret ------------------------------------------------------
# LOG_FORMAT: "plain" (the default) or "json", one object per line (config.logs).
LOG_FORMAT = env_str("LOG_FORMAT", "plain")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured("LOG_FORMAT must be 'plain' or 'json'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "config.logs.JsonFormatter"},
    },
    "filters": {"redact": {"()": "config.logs.RedactSecrets"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["redact"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_auth_ldap": {"level": env_str("LDAP_LOG_LEVEL", "WARNING")},
        "axes": {"level": "WARNING"},
        # Every enqueued task is logged at INFO: too chatty unless asked for.
        "django-q": {"level": env_str("Q_LOG_LEVEL", "WARNING")},
        # The mail intake's .msg reader logs every property an Outlook item lacks at INFO.
        "extract_msg": {"level": "WARNING"},
    },
}

ADMINS = [("CCAP Help Desk administrators", a) for a in env_list("ADMIN_EMAILS")]

# --- Mail intake ----------------------------------------------------------------------------------
# Authentication-Results headers are believed only from these servers (their authserv-id); any
# other such header could have been written by the sender (RFC 8601). Empty: DMARC is not read.
MAIL_TRUSTED_AUTHSERV_IDS = env_list("MAIL_TRUSTED_AUTHSERV_IDS", [])
# Automatic replies (acknowledgements, "please go through your local expert") per sender per day.
MAIL_AUTO_REPLIES_PER_DAY = env_int("MAIL_AUTO_REPLIES_PER_DAY", 5)
# A reply to a ticket closed longer ago than this (business days) opens a new, linked ticket.
MAIL_REOPEN_WINDOW_DAYS = env_int("MAIL_REOPEN_WINDOW_DAYS", 10)
# Mail older than this when first fetched is imported without automatic replies.
MAIL_QUIET_AFTER_DAYS = env_int("MAIL_QUIET_AFTER_DAYS", 3)
# Where the IMAP poller moves a message once stored (empty: it flags it and leaves it in place).
IMAP["processed_folder"] = env_str("IMAP_PROCESSED_FOLDER")
IMAP["batch_size"] = env_int("IMAP_BATCH_SIZE", 25)

# --- Mail to the field ----------------------------------------------------------------------------
# Notices and welcome packets go one message per person, this many per background task.
BULK_EMAIL_BATCH_SIZE = env_int("BULK_EMAIL_BATCH_SIZE", 50)
# "Possible outage": this many offices reporting the same system within this many minutes,
# with no open notice about it, prompts the help desk queue to publish one.
NOTICE_OUTAGE_OFFICES = env_int("NOTICE_OUTAGE_OFFICES", 3)
NOTICE_OUTAGE_WINDOW_MINUTES = env_int("NOTICE_OUTAGE_WINDOW_MINUTES", 60)

# --- Webhooks (helpdesk.webhooks, docs/webhooks.md) ----------------------------------------
# The key subscription secrets are encrypted with (Fernet, derived by HKDF); SECRET_KEY when
# empty. Changing it makes the stored secrets unreadable: create the subscriptions again.
WEBHOOK_SECRET_KEY = env_str("WEBHOOK_SECRET_KEY")
# Deliveries go to public addresses only: a host resolving to a private, loopback, link-local,
# multicast or reserved address is refused at send time, unless this is on (tests, development).
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False)
# Subscribed URLs must be https, unless this is on (tests, development).
WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP", False)
# Seconds to connect and to wait for each read of the answer.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 5)
# A failed attempt is tried again after each of these delays in seconds (5 s, 5 min, 30 min,
# 2 h, 5 h, 10 h), while the next attempt falls within the window after the first; then the
# delivery has failed.
WEBHOOK_RETRY_DELAYS = [
    int(s) for s in env_list("WEBHOOK_RETRY_DELAYS", ["5", "300", "1800", "7200", "18000", "36000"])
]
WEBHOOK_RETRY_WINDOW_SECONDS = env_int("WEBHOOK_RETRY_WINDOW_SECONDS", 24 * 3600)
# This many deliveries failing one after the other pause the subscription (administrators hear).
WEBHOOK_PAUSE_AFTER_FAILURES = env_int("WEBHOOK_PAUSE_AFTER_FAILURES", 5)
# A pending delivery this long past due (its task lost with a killed worker) is queued again.
WEBHOOK_STALE_AFTER_SECONDS = env_int("WEBHOOK_STALE_AFTER_SECONDS", 900)

# --- Access provisioning --------------------------------------------------------------------
# The directory the help desk provisions accounts in, for systems configured with a base DN.
ACCESS_LDAP = {
    "uri": env_str("ACCESS_LDAP_URI"),
    "bind_dn": env_str("ACCESS_LDAP_BIND_DN"),
    "bind_password": env_str("ACCESS_LDAP_BIND_PASSWORD"),
    "timeout": env_int("ACCESS_LDAP_TIMEOUT", 10),
}
# Where requests Central Management Services fulfils (CCMS and InfoView IDs) are emailed.
ACCESS_CMS_EMAIL = env_str("ACCESS_CMS_EMAIL", "cms-access@localhost")
