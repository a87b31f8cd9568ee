"""The demonstration services' settings, from the environment `run_demo` gives them.

Sessions live in the process's memory: a demo service forgets everyone when it stops, and the
CAS one can end a session when seuil's single logout names its ticket.
"""

import os
import secrets
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[2]
ASSETS_DIR = PACKAGE_DIR if (PACKAGE_DIR / "templates").is_dir() else PACKAGE_DIR.parent

KIND = os.environ.get("SEUIL_DEMO_SERVICE", "oidc")
if KIND not in {"oidc", "cas"}:
    raise RuntimeError(f"SEUIL_DEMO_SERVICE is oidc or cas, not {KIND!r}")
SEUIL_BASE_URL = os.environ.get("SEUIL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

DEBUG = False
# Sessions end with the process anyway: a key of its own, never seuil's.
SECRET_KEY = secrets.token_urlsafe(50)
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
ROOT_URLCONF = f"seuil.demo.services.{KIND}"
INSTALLED_APPS: list[str] = []
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Both demo services share a host name: their cookies need names of their own.
SESSION_COOKIE_NAME = f"demo_{KIND}_session"
CSRF_COOKIE_NAME = f"demo_{KIND}_csrftoken"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [ASSETS_DIR / "templates"],
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csrf",
                "django.template.context_processors.i18n",
            ]
        },
    }
]
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [ASSETS_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Paris"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"seuil.demo": {"handlers": ["console"], "level": "INFO"}},
}
