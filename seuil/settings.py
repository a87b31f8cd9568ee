"""seuil's one settings module: everything comes from the environment.

Every SEUIL_* variable is parsed strictly: a malformed value stops the process with the variable's
name, instead of running with a silently different meaning. README.md and .env.example list them.
"""

import ipaddress
import os
import re
import sys
import zoneinfo
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT_DIR = PACKAGE_DIR.parent
# A checkout keeps templates, static and locale at its root; a wheel, inside the package.
ASSETS_DIR = PACKAGE_DIR if (PACKAGE_DIR / "templates").is_dir() else ROOT_DIR

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def env_str(name: str, default: str) -> str:
    value = os.environ.get(name, default).strip()
    if not value:
        raise ImproperlyConfigured(f"{name} is set but empty")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in {"true", "1", "yes", "on"}:
        return True
    if value in {"false", "0", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int, maximum: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ImproperlyConfigured(f"{name} must be between {minimum} and {maximum}, not {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


_DURATION = re.compile(r"(\d+)([smhd])")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def env_steps(name: str, default: str) -> list[tuple[int, int]]:
    """Read "5:15m,10:1h,20:24h" as [(5, 900), (10, 3600), (20, 86400)]: failures, seconds."""
    steps = []
    for item in env_str(name, default).split(","):
        count, _, wait = item.strip().partition(":")
        match = _DURATION.fullmatch(wait.strip())
        if not count.strip().isdigit() or not match or int(count) < 1:
            raise ImproperlyConfigured(f"{name} must read like 5:15m,10:1h,20:24h, not {item!r}")
        steps.append((int(count), int(match[1]) * _SECONDS[match[2]]))
    if [c for c, _ in steps] != sorted({c for c, _ in steps}):
        raise ImproperlyConfigured(f"{name}: failure counts must increase")
    return steps


def env_rate(name: str, default: str) -> tuple[int, int]:
    """Read "30/m" as (30, 60): requests per window of seconds."""
    raw = env_str(name, default)
    count, _, unit = raw.partition("/")
    if not count.strip().isdigit() or unit.strip() not in _SECONDS:
        raise ImproperlyConfigured(f"{name} must read like 30/m (per s, m, h or d), not {raw!r}")
    return int(count), _SECONDS[unit.strip()]


def env_domain(name: str, default: str) -> str:
    value = env_str(name, default).lower()
    if not _DOMAIN.match(value):
        raise ImproperlyConfigured(f"{name} must be a mail domain such as univ-example.fr")
    return value


def _is_dn(value: str) -> bool:
    # Here, not at the top: without a directory, no worker loads python-ldap (worker memory, #16).
    import ldap.dn

    try:
        return bool(value) and bool(ldap.dn.str2dn(value))
    except ldap.DECODING_ERROR:
        return False


def env_url(name: str, default: str) -> str:
    value = env_str(name, default).rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path:
        raise ImproperlyConfigured(f"{name} must be an origin such as https://monupv.example.fr")
    return value


def read_development_env() -> None:
    """In a checkout, `make run` writes .env (debug, a generated key, mail to the console), so
    that every `seuil` command, in any terminal, shares the running server's settings. The
    environment wins over the file. SEUIL_ENV_FILE names another file, or none when empty. An
    installed seuil (a wheel) never looks for one: production reads only the environment."""
    default = ROOT_DIR / ".env" if ASSETS_DIR == ROOT_DIR else None
    named = os.environ.get("SEUIL_ENV_FILE")
    path = Path(named) if named else (None if named is not None else default)
    if path is None or not path.is_file():
        return
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, equals, value = line.partition("=")
        if not equals or not re.fullmatch(r"(SEUIL_[A-Z0-9_]+|DATABASE_URL)", name.strip()):
            raise ImproperlyConfigured(f"{path}, line {number}: expected SEUIL_NAME=value")
        values[name.strip()] = value.strip().strip("'\"")
    if values.get("SEUIL_DEBUG", "").lower() != "true":
        raise ImproperlyConfigured(
            f"{path} does not set SEUIL_DEBUG=true: seuil reads a .env only for development "
            "(make run writes one). In production, set the environment; SEUIL_ENV_FILE= "
            "(empty) ignores the file."
        )
    for name, value in values.items():
        os.environ.setdefault(name, value)


read_development_env()

# Lets annotations such as forms.ModelForm[Person] run, not only type-check.
django_stubs_ext.monkeypatch()

# --- Core -------------------------------------------------------------------------------------

DEBUG = env_bool("SEUIL_DEBUG", False)
SECRET_KEY = os.environ.get("SEUIL_SECRET_KEY", "").strip()
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SEUIL_SECRET_KEY is required when SEUIL_DEBUG is false")
    SECRET_KEY = "django-insecure-seuil-development-only-never-use-in-production"  # noqa: S105
# Rotation: the old key moves here, so that what it signed or hashed (printed Sésames, student
# codes, lockouts, links, sessions) stays valid until it expires (SECURITY.md, "Rotating the key").
SECRET_KEY_FALLBACKS = env_list("SEUIL_SECRET_KEY_FALLBACKS", [])

SEUIL_BASE_URL = env_url("SEUIL_BASE_URL", "http://127.0.0.1:8000")
ALLOWED_HOSTS = env_list(
    "SEUIL_ALLOWED_HOSTS",
    ["127.0.0.1", "localhost"] if DEBUG else [urlsplit(SEUIL_BASE_URL).hostname or ""],
)
CSRF_TRUSTED_ORIGINS = [SEUIL_BASE_URL]

SEUIL_INSTITUTION_NAME = env_str("SEUIL_INSTITUTION_NAME", "Université Paul-Valéry Montpellier 3")
SEUIL_PORTAL_NAME = env_str("SEUIL_PORTAL_NAME", "monupv")
SEUIL_MAIL_DOMAIN = env_domain("SEUIL_MAIL_DOMAIN", "univ-montp3.fr")
SEUIL_STUDENT_MAIL_DOMAIN = env_domain("SEUIL_STUDENT_MAIL_DOMAIN", "etu.univ-montp3.fr")
SEUIL_LOGIN_MAX_LENGTH = env_int("SEUIL_LOGIN_MAX_LENGTH", 8, minimum=4, maximum=32)
SEUIL_RESERVED_NAMES = [name.lower() for name in env_list("SEUIL_RESERVED_NAMES", [])]
for _name in SEUIL_RESERVED_NAMES:
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", _name):
        raise ImproperlyConfigured(f"SEUIL_RESERVED_NAMES holds an impossible login: {_name!r}")

# What the directory, OpenID Connect and CAS publish (seuil/people/attributes.py).
# supannEtablissement: the institution's code, {UAI} followed by its UAI (RNE) number.
SEUIL_UAI = env_str("SEUIL_UAI", "{UAI}0341089Z")
if not re.fullmatch(r"\{[A-Z][A-Z0-9]*\}[A-Za-z0-9]+", SEUIL_UAI):
    raise ImproperlyConfigured(f"SEUIL_UAI must read like {{UAI}}0341089Z, not {SEUIL_UAI!r}")
# The eduPersonPrincipalName and scoped affiliations' @domain.
SEUIL_EPPN_SCOPE = env_domain("SEUIL_EPPN_SCOPE", SEUIL_MAIL_DOMAIN)

# --- Defences --------------------------------------------------------------------------------

# Progressive lockout after failed secrets (Sésame, password, answer, student code), per account
# and client network (IPv4 /24, IPv6 /64).
SEUIL_LOCKOUT_STEPS = env_steps("SEUIL_LOCKOUT_STEPS", "5:15m,10:1h,20:24h")
# The whole account locks only after this many failures (NIST 800-63B: at most 100)...
SEUIL_LOCKOUT_ACCOUNT = env_steps("SEUIL_LOCKOUT_ACCOUNT", "100:1h")[0]
# ...coming from at least this many client networks.
SEUIL_LOCKOUT_NETWORKS = env_int("SEUIL_LOCKOUT_NETWORKS", 3, minimum=1, maximum=1000)
# Every public POST, per client address, over a sliding window.
SEUIL_RATE_LIMIT = env_rate("SEUIL_RATE_LIMIT", "30/m")
# The campus (comma-separated networks), behind few NAT addresses, and its own higher limit.
try:
    SEUIL_TRUSTED_NETWORKS = [
        ipaddress.ip_network(item, strict=False) for item in env_list("SEUIL_TRUSTED_NETWORKS", [])
    ]
except ValueError as _error:
    raise ImproperlyConfigured(f"SEUIL_TRUSTED_NETWORKS: {_error}") from None
SEUIL_TRUSTED_RATE_LIMIT = env_rate("SEUIL_TRUSTED_RATE_LIMIT", "1200/m")
# Where the counters live: the database, or Redis when this is set.
SEUIL_REDIS_URL = os.environ.get("SEUIL_REDIS_URL", "").strip()
if SEUIL_REDIS_URL and urlsplit(SEUIL_REDIS_URL).scheme not in {"redis", "rediss", "unix"}:
    raise ImproperlyConfigured("SEUIL_REDIS_URL must be a redis://, rediss:// or unix:// URL")
# Cookies that only travel over HTTPS, and HSTS; false only for plain-HTTP testing on loopback.
SEUIL_SECURE_COOKIES = env_bool("SEUIL_SECURE_COOKIES", True)
SEUIL_SESSION_IDLE_MINUTES = env_int("SEUIL_SESSION_IDLE_MINUTES", 30, minimum=1, maximum=1440)
SEUIL_SESSION_MAX_HOURS = env_int("SEUIL_SESSION_MAX_HOURS", 12, minimum=1, maximum=168)

# Sessions live in Redis when it is there (a sign-in then writes nothing to the database), else in
# the database; either way a session ends on the server when its person signs out.
SESSION_ENGINE = (
    # Django's cache store, but Redis unreachable is a 503, not a signed-out visitor.
    "seuil.security.cache_sessions" if SEUIL_REDIS_URL else "seuil.security.sessions"
)
if SEUIL_REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "seuil.core.redis_cache.RedisCache",  # one client per pool, not per call
            "LOCATION": SEUIL_REDIS_URL,
        }
    }
SESSION_COOKIE_AGE = SEUIL_SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True  # the idle timeout slides with each request
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SEUIL_SECURE_COOKIES
CSRF_COOKIE_HTTPONLY = True
# No form takes a file: file parts are skipped unread, and the request refused (bounded_body).
FILE_UPLOAD_HANDLERS = ["seuil.security.uploads.NoFiles"]
# The language choice: no script reads it, and it travels like the session.
LANGUAGE_COOKIE_SECURE = SEUIL_SECURE_COOKIES
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = SEUIL_SECURE_COOKIES
SECURE_HSTS_SECONDS = env_int(
    "SEUIL_HSTS_SECONDS", 31_536_000 if SEUIL_SECURE_COOKIES else 0, minimum=0, maximum=63_072_000
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Proxies whose X-Forwarded-For is believed (comma-separated addresses or networks).
try:
    SEUIL_TRUSTED_PROXIES = [
        ipaddress.ip_network(item, strict=False) for item in env_list("SEUIL_TRUSTED_PROXIES", [])
    ]
except ValueError as _error:
    raise ImproperlyConfigured(f"SEUIL_TRUSTED_PROXIES: {_error}") from None
if SEUIL_TRUSTED_PROXIES:
    # TLS ends at the proxy, which must set (and strip from clients) X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Lifecycle (SupAnn states) -----------------------------------------------------------------

# Activation opens this many days before the attachment starts (earlier: SupannPrecree).
SEUIL_EARLY_DAYS = env_int("SEUIL_EARLY_DAYS", 15, minimum=0, maximum=365)
# After the attachment ends, the account lives on in grace (SupannSursis) for this many days...
SEUIL_GRACE_DAYS = env_int("SEUIL_GRACE_DAYS", 30, minimum=0, maximum=365)
# ...then expires; its personal data is purged this many days after the expiry.
SEUIL_RETENTION_DAYS = env_int("SEUIL_RETENTION_DAYS", 365, minimum=1, maximum=3650)

# --- Activation and passwords -----------------------------------------------------------------

SEUIL_SESAME_DAYS = env_int("SEUIL_SESAME_DAYS", 30, minimum=1, maximum=365)
# The institution's rule: the 2016 page says 6 to 15 letters and digits, but with the entropy
# criterion below no password under 9 can pass, so 9 is the default (`seuil check` warns below it).
SEUIL_PASSWORD_MIN_LENGTH = env_int("SEUIL_PASSWORD_MIN_LENGTH", 9, minimum=4, maximum=64)
SEUIL_PASSWORD_MAX_LENGTH = env_int("SEUIL_PASSWORD_MAX_LENGTH", 15, minimum=6, maximum=128)
if SEUIL_PASSWORD_MAX_LENGTH < SEUIL_PASSWORD_MIN_LENGTH:
    raise ImproperlyConfigured("SEUIL_PASSWORD_MAX_LENGTH is below SEUIL_PASSWORD_MIN_LENGTH")
SEUIL_PASSWORD_ALPHABET = env_str("SEUIL_PASSWORD_ALPHABET", "alnum")
if SEUIL_PASSWORD_ALPHABET not in {"alnum", "ascii"}:
    raise ImproperlyConfigured("SEUIL_PASSWORD_ALPHABET must be alnum or ascii")
# ...and the security criteria behind the green dot (CNIL 2022 case 2 with the throttling).
SEUIL_PASSWORD_MIN_ENTROPY = env_int("SEUIL_PASSWORD_MIN_ENTROPY", 50, minimum=0, maximum=256)
SEUIL_PASSWORD_MIN_ZXCVBN = env_int("SEUIL_PASSWORD_MIN_ZXCVBN", 3, minimum=0, maximum=4)
SEUIL_PASSWORD_REFUSE_COMMON = env_bool("SEUIL_PASSWORD_REFUSE_COMMON", True)
# Argon2id; the defaults are OWASP's minimum, chosen with bench/argon2_params.py.
SEUIL_ARGON2_TIME_COST = env_int("SEUIL_ARGON2_TIME_COST", 2, minimum=1, maximum=20)
SEUIL_ARGON2_MEMORY_KIB = env_int(
    "SEUIL_ARGON2_MEMORY_KIB", 19_456, minimum=7_168, maximum=1_048_576
)
SEUIL_ARGON2_PARALLELISM = env_int("SEUIL_ARGON2_PARALLELISM", 1, minimum=1, maximum=16)
PASSWORD_HASHERS = [
    "seuil.accounts.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    # OIDC client secrets only (see seuil/sso/hashers.py); never chosen for a password.
    "seuil.sso.hashers.ClientSecretHasher",
]

SEUIL_CHARTER_FILE = Path(
    env_str("SEUIL_CHARTER_FILE", str(PACKAGE_DIR / "activation" / "charte.txt"))
)
if not SEUIL_CHARTER_FILE.is_file():
    raise ImproperlyConfigured(f"SEUIL_CHARTER_FILE: no file at {SEUIL_CHARTER_FILE}")
# "|"-separated, since questions hold commas. Empty: the built-in list, translated.
SEUIL_SECRET_QUESTIONS = [
    q.strip() for q in os.environ.get("SEUIL_SECRET_QUESTIONS", "").split("|") if q.strip()
]

# --- Directory (OpenLDAP with SupAnn entries; docs/directory.md) --------------------------------

# ldap:// or ldaps://; unset means no provisioning.
SEUIL_LDAP_URL = os.environ.get("SEUIL_LDAP_URL", "").strip()
SEUIL_LDAP_BIND_DN = os.environ.get("SEUIL_LDAP_BIND_DN", "").strip()
SEUIL_LDAP_PEOPLE_DN = os.environ.get("SEUIL_LDAP_PEOPLE_DN", "").strip()
SEUIL_LDAP_BIND_PASSWORD = os.environ.get("SEUIL_LDAP_BIND_PASSWORD", "")
SEUIL_LDAP_STARTTLS = env_bool("SEUIL_LDAP_STARTTLS", False)
SEUIL_LDAP_CA_FILE = os.environ.get("SEUIL_LDAP_CA_FILE", "").strip()
_password_file = os.environ.get("SEUIL_LDAP_BIND_PASSWORD_FILE", "").strip()
if _password_file:
    if SEUIL_LDAP_BIND_PASSWORD:
        raise ImproperlyConfigured(
            "Set SEUIL_LDAP_BIND_PASSWORD or SEUIL_LDAP_BIND_PASSWORD_FILE, not both"
        )
    try:
        SEUIL_LDAP_BIND_PASSWORD = Path(_password_file).read_text().rstrip("\r\n")
    except OSError as _error:
        raise ImproperlyConfigured(
            f"SEUIL_LDAP_BIND_PASSWORD_FILE: {_error.strerror} ({_password_file})"
        ) from None
if SEUIL_LDAP_URL:
    if (
        urlsplit(SEUIL_LDAP_URL).scheme not in {"ldap", "ldaps"}
        or not urlsplit(SEUIL_LDAP_URL).hostname
    ):
        raise ImproperlyConfigured("SEUIL_LDAP_URL must be an ldap:// or ldaps:// URL with a host")
    if SEUIL_LDAP_STARTTLS and SEUIL_LDAP_URL.startswith("ldaps:"):
        raise ImproperlyConfigured(
            "SEUIL_LDAP_STARTTLS is for ldap:// URLs; ldaps:// is TLS already"
        )
    for _name in ("SEUIL_LDAP_BIND_DN", "SEUIL_LDAP_PEOPLE_DN"):
        if not _is_dn(globals()[_name]):
            raise ImproperlyConfigured(f"{_name} must be a DN such as ou=people,dc=example,dc=fr")
    if not SEUIL_LDAP_BIND_PASSWORD:
        raise ImproperlyConfigured(
            "SEUIL_LDAP_URL is set: SEUIL_LDAP_BIND_PASSWORD or SEUIL_LDAP_BIND_PASSWORD_FILE too"
        )
if SEUIL_LDAP_CA_FILE and not Path(SEUIL_LDAP_CA_FILE).is_file():
    raise ImproperlyConfigured(f"SEUIL_LDAP_CA_FILE: no file at {SEUIL_LDAP_CA_FILE}")

# --- Second factor (docs/mfa.md) ---------------------------------------------------------------

# The keys that encrypt the TOTP shared keys, comma-separated: the first encrypts, all decrypt
# (rotation). Unset: derived from SEUIL_SECRET_KEY (never stored in the database either way).
SEUIL_MFA_KEYS = env_list("SEUIL_MFA_KEY", [])
for _key in SEUIL_MFA_KEYS:
    if len(_key) < 32:
        raise ImproperlyConfigured("SEUIL_MFA_KEY: each key must be at least 32 characters")

# --- Single sign-on: CAS ----------------------------------------------------------------------

# Proxy callbacks over plain HTTP on loopback (tests only: the specification requires HTTPS).
SEUIL_CAS_LOOPBACK_HTTP = env_bool("SEUIL_CAS_LOOPBACK_HTTP", False)

# --- Single sign-on: SAML 2.0 (seuil.saml, docs/saml.md) ------------------------------------

# The identity provider's keys: signing-key.pem, signing-cert.pem, encryption-key.pem and
# encryption-cert.pem in this directory, as `seuil saml_keys DIR` writes them. Unset: no SAML.
SEUIL_SAML_KEY_DIR = os.environ.get("SEUIL_SAML_KEY_DIR", "").strip()
SEUIL_SAML_KEY_FILES = {
    role: str(Path(SEUIL_SAML_KEY_DIR) / f"{role}.pem")
    for role in ("signing-key", "signing-cert", "encryption-key", "encryption-cert")
}
# `seuil saml_keys DIR` runs on the production configuration before its keys exist.
if SEUIL_SAML_KEY_DIR and sys.argv[1:2] != ["saml_keys"]:
    for _role, _path in SEUIL_SAML_KEY_FILES.items():
        _pem = Path(_path).read_text(encoding="ascii") if Path(_path).is_file() else ""
        _kind = "PRIVATE KEY-----" if _role.endswith("key") else "BEGIN CERTIFICATE-----"
        if _kind not in _pem:
            raise ImproperlyConfigured(
                f"SEUIL_SAML_KEY_DIR: {_path} is missing or not a PEM {_role.replace('-', ' ')}"
                " (seuil saml_keys DIR makes them)"
            )
SEUIL_SAML_ENTITY_ID = env_str("SEUIL_SAML_ENTITY_ID", f"{SEUIL_BASE_URL}/saml/idp")
if not re.match(
    r"^(https?://[^\s/]+(/\S*)?|urn:[a-z0-9][a-z0-9-]{0,31}:\S+)$", SEUIL_SAML_ENTITY_ID
):
    raise ImproperlyConfigured("SEUIL_SAML_ENTITY_ID must be an http(s) URL or a urn:")
# Federation aggregates, comma-separated, each "NAME URL CERTIFICATE-FILE": the certificate is
# the one that signs the aggregate (`seuil saml_metadata` refuses any other signature).
SEUIL_SAML_FEDERATIONS: list[tuple[str, str, str]] = []
for _entry in env_list("SEUIL_SAML_FEDERATIONS", []):
    _fields = _entry.split()
    if (
        len(_fields) != 3
        or not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,39}", _fields[0])
        or urlsplit(_fields[1]).scheme not in {"http", "https", "file"}
    ):
        raise ImproperlyConfigured(
            f"SEUIL_SAML_FEDERATIONS: {_entry!r} must read NAME URL CERTIFICATE-FILE"
        )
    if not Path(_fields[2]).is_file():
        raise ImproperlyConfigured(f"SEUIL_SAML_FEDERATIONS: no certificate at {_fields[2]}")
    SEUIL_SAML_FEDERATIONS.append((_fields[0], _fields[1], _fields[2]))
# The page that tells a person, the first time, what a federation service will receive.
SEUIL_SAML_CONSENT = env_bool("SEUIL_SAML_CONSENT", True)
# Seconds of clock difference accepted on a request's IssueInstant (Shibboleth SP: 180).
SEUIL_SAML_CLOCK_SKEW = env_int("SEUIL_SAML_CLOCK_SKEW", 180, minimum=0, maximum=600)

# --- Applications -----------------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "seuil.accounts",
    "seuil.people",
    "csp",
    "seuil.security",
    "seuil.audit",
    "seuil.mailer",
    "seuil.activation",
    "seuil.recovery",
    "seuil.lifecycle",
    "seuil.directory",
    "oauth2_provider",
    "seuil.sso",
    "seuil.cas",
    "seuil.saml",
    "seuil.portal",
    "seuil.demo",
    "seuil.mfa",
]

MIDDLEWARE = [
    "seuil.mailer.after_response.defer_mail",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "seuil.security.csp.CSPMiddleware",  # django-csp's, the policy built once per process
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "seuil.typography.TypographyMiddleware",
    "django.middleware.common.CommonMiddleware",
    "seuil.security.middleware.bounded_body",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Default deny: a view is for signed-in people unless marked @login_not_required.
    "seuil.security.middleware.LoginRequired",
    "seuil.security.middleware.rate_limit",
    "seuil.accounts.sessions.session_lifetime",
    "seuil.mfa.middleware.operators_need_mfa",  # the admin: only after a second factor
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "seuil.urls"
LOGIN_URL = "/gestion-de-compte/se-connecter/"
LOGIN_REDIRECT_URL = "/mon-ent/"
AUTHENTICATION_BACKENDS = ["seuil.accounts.backends.AccountBackend"]
PASSWORD_RESET_TIMEOUT = 3600  # a reset link lives one hour (Django's default is three days)
WSGI_APPLICATION = "seuil.wsgi.application"
AUTH_USER_MODEL = "accounts.Account"
# Django's own password forms and commands (createsuperuser, changepassword, the admin's) apply
# seuil's policy, as seuil's pages do: operators' passwords are held to it too.
AUTH_PASSWORD_VALIDATORS = [{"NAME": "seuil.accounts.validators.PolicyValidator"}]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Plain <input> widgets written in Python, not through two templates each (seuil.core.widgets).
FORM_RENDERER = "seuil.core.widgets.Renderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [ASSETS_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "seuil.portal.context.institution",
            ],
        },
    }
]

# --- Single sign-on: OpenID Connect (django-oauth-toolkit) -------------------------------------


def _read_key(name: str, path: str) -> str:
    try:
        key = Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise ImproperlyConfigured(f"{name}: cannot read {path} ({error})") from None
    if "PRIVATE KEY-----" not in key:
        raise ImproperlyConfigured(f"{name}: {path} is not a PEM private key")
    return key


# The ID tokens' signing key (RSA, PEM). `make run` generates one; production refuses to start
# without it (seuil.sso.checks: every command but `seuil oidc_key`, which makes it, and wsgi.py),
# since a key made up at start would differ between hosts and restarts.
SEUIL_OIDC_KEY_FILE = os.environ.get("SEUIL_OIDC_KEY_FILE", "").strip()
# Rotation: the previous keys, whose public halves stay in the JWKS until their tokens expire.
SEUIL_OIDC_OLD_KEY_FILES = env_list("SEUIL_OIDC_OLD_KEY_FILES", [])
# Services' redirect URIs: HTTPS only, as RFC 9700 asks; plain HTTP (on loopback only, see
# seuil/sso/redirects.py) where seuil itself runs without TLS, for tests.
SEUIL_OIDC_REDIRECT_SCHEMES = ["https"] if SEUIL_SECURE_COOKIES else ["https", "http"]
# Named, though it is the default: the registry's link to a client is a migration dependency.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_ISS_ENDPOINT": SEUIL_BASE_URL,
    "OIDC_RSA_PRIVATE_KEY": (
        _read_key("SEUIL_OIDC_KEY_FILE", SEUIL_OIDC_KEY_FILE) if SEUIL_OIDC_KEY_FILE else ""
    ),
    "OIDC_RSA_PRIVATE_KEYS_INACTIVE": [
        _read_key("SEUIL_OIDC_OLD_KEY_FILES", path) for path in SEUIL_OIDC_OLD_KEY_FILES
    ],
    "OAUTH2_VALIDATOR_CLASS": "seuil.sso.validator.Validator",
    "ACCESS_TOKEN_GENERATOR": "seuil.sso.grants.new_token",  # refresh tokens too
    "OIDC_SERVER_CLASS": "seuil.sso.server.Server",  # oauthlib's, parsing each query once
    "OAUTH2_BACKEND_CLASS": "seuil.sso.server.Backend",  # the toolkit's, its URI made once
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
    "SCOPES": {
        "openid": "OpenID Connect",
        "profile": "Nom, prénom, identifiant",
        "email": "Adresse institutionnelle",
        "eduperson_affiliation": "Affiliations",
        "eduperson_scoped_affiliation": "Affiliations avec domaine",
        "eduperson_principal_name": "Identifiant fédéré",
    },
    "DEFAULT_SCOPES": ["openid"],
    "PKCE_REQUIRED": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": SEUIL_OIDC_REDIRECT_SCHEMES,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "ID_TOKEN_EXPIRE_SECONDS": 3600,
    "REFRESH_TOKEN_EXPIRE_SECONDS": SEUIL_SESSION_MAX_HOURS * 3600,
    "CLIENT_SECRET_HASHER": "sha256_secret",
    # RFC 9700 (OAuth 2.0 Security Best Current Practice): PKCE `plain`, the implicit and
    # password grants and tokens in query strings are refused; authorization responses carry
    # `iss`; tokens are stored as digests, not in clear.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
}

# --- Database ---------------------------------------------------------------------------------

_default_db = f"sqlite:///{ROOT_DIR / 'var' / 'seuil.sqlite3'}"
try:
    _database = dj_database_url.parse(env_str("DATABASE_URL", _default_db), conn_max_age=60)
except ValueError as error:
    raise ImproperlyConfigured(f"DATABASE_URL is malformed: {error}") from None
_prepare_after = env_int("SEUIL_DATABASE_PREPARE_AFTER", 5, minimum=0, maximum=1000)
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # Kept open across requests like PostgreSQL's (conn_max_age above): opening a connection and
    # running the PRAGMAs below cost each sign-in's POST about 1 ms of the worker's CPU.
    _database["OPTIONS"] = {
        # Writers queue behind each other instead of failing with "database is locked".
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif _database["ENGINE"] == "django.db.backends.postgresql":
    # Django's, with a health check that asks the connection's socket before it sends SELECT 1.
    _database["ENGINE"] = "seuil.core.postgresql"
    _database["CONN_HEALTH_CHECKS"] = True
    # A statement run this many times on a connection is prepared there (psycopg's server-side
    # binding), so PostgreSQL plans it once per connection, not once per execution, as pgjdbc
    # does for Keycloak (its prepareThreshold is 5 too). The hot paths' joins spent most of the
    # backends' CPU in the planner: 0.66 ms of a userinfo's token read, 0.05 ms once prepared
    # (docs/performance.md). Django leaves it off for PgBouncer's transaction mode before 1.21;
    # 0 does the same here.
    if _prepare_after:
        _database["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": _prepare_after}
else:
    raise ImproperlyConfigured("DATABASE_URL must name a sqlite:// or postgresql:// database")
DATABASES = {"default": _database}

# --- Language and time ------------------------------------------------------------------------

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [ASSETS_DIR / "locale"]
FORMAT_MODULE_PATH = ["seuil.formats"]
# One time zone for every time shown (pages, mails, letters, the admin), labelled where shown.
TIME_ZONE = env_str("SEUIL_TIME_ZONE", "Europe/Paris")
if TIME_ZONE not in zoneinfo.available_timezones():
    raise ImproperlyConfigured(
        f"SEUIL_TIME_ZONE must be an IANA zone such as Europe/Paris, not {TIME_ZONE!r}"
    )
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("SEUIL_STATIC_ROOT", str(ROOT_DIR / "var" / "static")))
STATICFILES_DIRS = [ASSETS_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Mail -------------------------------------------------------------------------------------

_backends = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
}
_backend = env_str("SEUIL_EMAIL_BACKEND", "smtp")
if _backend not in _backends:
    raise ImproperlyConfigured("SEUIL_EMAIL_BACKEND must be smtp or console")
EMAIL_BACKEND = _backends[_backend]
EMAIL_HOST = env_str("SEUIL_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("SEUIL_EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("SEUIL_EMAIL_FROM", f"ne-pas-repondre@{SEUIL_MAIL_DOMAIN}")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Whom a person should write to when a notice describes something they did not do.
# A PNG or JPEG drawn at the top of the activation letters; none by default.
SEUIL_LETTER_LOGO = os.environ.get("SEUIL_LETTER_LOGO", "").strip()
if SEUIL_LETTER_LOGO and not Path(SEUIL_LETTER_LOGO).is_file():
    raise ImproperlyConfigured(f"SEUIL_LETTER_LOGO names no file: {SEUIL_LETTER_LOGO}")
if SEUIL_LETTER_LOGO and Path(SEUIL_LETTER_LOGO).suffix.lower() not in {".png", ".jpg", ".jpeg"}:
    raise ImproperlyConfigured("SEUIL_LETTER_LOGO must be a .png or .jpg file")
SEUIL_SUPPORT_EMAIL = env_str("SEUIL_SUPPORT_EMAIL", f"assistance@{SEUIL_MAIL_DOMAIN}")
# The SAML metadata's contacts (technical: the support address; security: REFEDS' contact type,
# which SIRTFI requires), and its mdui logo and privacy statement, which the federation shows.
SEUIL_SAML_SECURITY_CONTACT = env_str("SEUIL_SAML_SECURITY_CONTACT", SEUIL_SUPPORT_EMAIL)
SEUIL_SAML_LOGO_URL = os.environ.get("SEUIL_SAML_LOGO_URL", "").strip()
SEUIL_SAML_PRIVACY_URL = os.environ.get("SEUIL_SAML_PRIVACY_URL", "").strip()
for _name in ("SEUIL_SAML_LOGO_URL", "SEUIL_SAML_PRIVACY_URL"):
    if globals()[_name] and urlsplit(globals()[_name]).scheme != "https":
        raise ImproperlyConfigured(f"{_name} must be an https:// URL")
# Who is paged when the directory refuses to close an account (its old password still binds).
SEUIL_OPERATOR_EMAILS = env_list("SEUIL_OPERATOR_EMAILS", [SEUIL_SUPPORT_EMAIL])

# --- Logging ----------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "tokens": {"()": "seuil.security.logs.RedactTokens"},
        # PostgreSQL or Redis away: one warning per refused request, not an error and a traceback.
        "outages": {"()": "seuil.core.outages.Outages"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["tokens"]}
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"filters": ["outages"]},
    },
}
