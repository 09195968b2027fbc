"""Settings of the wsmon test server: Django + Channels under Daphne,
DRF TokenAuthentication, an in-memory channel layer and a sqlite database
at $WSMON_DJANGO_DB (a fresh file per test)."""
import os

SECRET_KEY = "wsmon-test-server-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "rest_framework.authtoken",
    "channels",
    "notifications",
    # Logging in (wsmon's [login] kinds): sessions, OAuth2, the login views.
    "django.contrib.sessions",
    "oauth2_provider",
    "accounts",
]

MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
    # For accounts' LoginView (CSRF, the sessionid cookie).
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

# accounts: access tokens that expire while a test watches.
from datetime import timedelta  # noqa: E402

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(hours=1),
}
OAUTH2_PROVIDER = {"SCOPES": {"read": "Read", "write": "Write"}, "ACCESS_TOKEN_EXPIRE_SECONDS": 3600}

ROOT_URLCONF = "project.urls"
WSGI_APPLICATION = "project.wsgi.application"
ASGI_APPLICATION = "project.asgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("WSMON_DJANGO_DB", "db.sqlite3"),
    }
}

CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "UNAUTHENTICATED_USER": None,
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}
