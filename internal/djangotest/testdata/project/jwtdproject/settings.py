"""Settings of the minimal Django + DRF + Simple JWT project that jwtd's
tests run beside jwtd.

Everything that varies between tests (the database, Simple JWT's key,
algorithm, lifetimes and rotation settings) comes from the JSON file named
by the JWTD_DJANGO_CONFIG environment variable, which the Go harness
(internal/djangotest) writes. Without it, an in-memory SQLite database and
Simple JWT's defaults apply (enough for `sqlmigrate` on SQLite).
"""
import json
import os
from datetime import timedelta

_cfg = {}
if os.environ.get("JWTD_DJANGO_CONFIG"):
    with open(os.environ["JWTD_DJANGO_CONFIG"]) as f:
        _cfg = json.load(f)

SECRET_KEY = "jwtd-tests-django-secret-key-not-a-signing-key"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "jwtdproject",
]
MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
]
if _cfg.get("custom_user"):
    # accounts.User: email as USERNAME_FIELD, UUID primary key.
    INSTALLED_APPS.insert(2, "accounts")
    AUTH_USER_MODEL = "accounts.User"
ROOT_URLCONF = "jwtdproject.urls"
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

DATABASES = {
    "default": _cfg.get("database", {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}),
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
}

_jwt = _cfg.get("simple_jwt", {})
SIMPLE_JWT = {
    "SIGNING_KEY": _jwt.get("signing_key", SECRET_KEY),
    "ALGORITHM": _jwt.get("algorithm", "HS256"),
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=_jwt.get("access_token_lifetime", 300)),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=_jwt.get("refresh_token_lifetime", 86400)),
    "ROTATE_REFRESH_TOKENS": _jwt.get("rotate_refresh_tokens", False),
    "BLACKLIST_AFTER_ROTATION": _jwt.get("blacklist_after_rotation", False),
    "UPDATE_LAST_LOGIN": _jwt.get("update_last_login", False),
}
if "verifying_key" in _jwt:
    SIMPLE_JWT["VERIFYING_KEY"] = _jwt["verifying_key"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django": {"handlers": ["stderr"], "level": "INFO"}},
}
