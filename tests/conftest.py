"""What every test shares: where the database lives, and how a missing component is reported.

`make test` runs the whole suite twice: on SQLite, then on a throw-away PostgreSQL database at
SEUIL_TEST_POSTGRES_URL. The `postgres` marker flags the tests whose point is what PostgreSQL does
differently (concurrent writers, SKIP LOCKED); they run on both, and `-m postgres` selects them.
A test whose component is missing skips loudly, or fails when SEUIL_REQUIRE_ALL=1 (as on CI).
"""

import os
import re
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import TYPE_CHECKING, Any

import hypothesis
import psycopg
import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.servers.basehttp import ThreadedWSGIServer
from django.utils import timezone, translation

from seuil.accounts.models import Account
from seuil.activation.models import Sesame
from seuil.people.models import Person
from seuil.security import throttle
from seuil.sso.models import Service

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from seuil.directory.sandbox import Sandbox

REQUIRE_ALL = os.environ.get("SEUIL_REQUIRE_ALL") == "1"

# Properties are judged on their results, not their speed: on a busy 2-core machine Hypothesis's
# 200 ms deadline fails tests whose code is right (benchmarks under bench/ measure speed).
hypothesis.settings.register_profile("seuil", deadline=None)
hypothesis.settings.load_profile("seuil")

# The live server listens with socketserver's backlog of 5, and resets the connections of a burst
# that production (gunicorn: 2048) would queue. Race tests send bursts of 50.
ThreadedWSGIServer.request_queue_size = 128


def need(component: str, available: bool, how: str) -> None:
    """Skip loudly (fail under SEUIL_REQUIRE_ALL=1) when a component the test needs is missing."""
    if available:
        return
    message = f"MISSING COMPONENT {component}: {how}"
    if REQUIRE_ALL:
        pytest.fail(message + " (SEUIL_REQUIRE_ALL=1 makes this a failure)", pytrace=False)
    pytest.skip(message)


def need_redis(url: str) -> None:
    try:
        reachable = bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except redis.RedisError:
        reachable = False
    need("Redis", reachable, f"no Redis at {url}")


# Every run on one machine shares this database and flushes it between tests: a run that must not
# be disturbed by another's flushes can take its own (SEUIL_TEST_REDIS_URL=redis://…/13).
THROTTLE_REDIS = os.environ.get("SEUIL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(params=["database", "redis"])
def throttle_backend(request: pytest.FixtureRequest, settings: Any) -> Iterator[str]:
    """Run the test with the throttle's counters in the database, then in Redis."""
    if request.param == "redis":
        need_redis(THROTTLE_REDIS)
        settings.SEUIL_REDIS_URL = THROTTLE_REDIS
        throttle._redis.cache_clear()
        throttle._redis().flushdb()
    yield request.param
    if request.param == "redis":
        throttle._redis().flushdb()
        throttle._redis.cache_clear()


def on_postgres() -> bool:
    return bool(settings.DATABASES["default"]["ENGINE"].endswith("postgresql"))


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    database = settings.DATABASES["default"]
    if on_postgres():
        # Each run creates its own database, so two runs on one server never collide.
        database["TEST"]["NAME"] = f"test_seuil_{os.getpid()}"
    else:
        # A file, not memory: threads in race tests then hold truly separate connections.
        path = Path(tempfile.gettempdir()) / f"seuil-test-{os.getpid()}.sqlite3"
        database["TEST"]["NAME"] = str(path)


def pytest_configure(config: pytest.Config) -> None:
    # Tests render templates without running collectstatic first: files come from the finders.
    settings.WHITENOISE_USE_FINDERS = True
    settings.STATIC_ROOT = tempfile.mkdtemp(prefix="seuil-static-")
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not on_postgres():
        return
    database = settings.DATABASES["default"]
    try:
        psycopg.connect(
            host=database["HOST"],
            port=database["PORT"] or 5432,
            user=database["USER"],
            password=database["PASSWORD"],
            dbname=database["NAME"],
            connect_timeout=3,
        ).close()
    except psycopg.Error as error:
        message = f"MISSING COMPONENT PostgreSQL: unreachable ({str(error).strip()})"
        if REQUIRE_ALL:
            raise pytest.UsageError(message + " and SEUIL_REQUIRE_ALL=1") from None
        for item in items:
            item.add_marker(pytest.mark.skip(reason=message))


@pytest.fixture(autouse=True)
def _french_first() -> Iterator[None]:
    """Each test starts in the default language: a request in English leaves English active."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _force_login_counts_every_factor(monkeypatch: pytest.MonkeyPatch) -> None:
    """Client.force_login skips authentication altogether, so it skips the second factor too: the
    session it opens has used a password and a TOTP code, as if the person had typed both (the
    admin opens only after a second factor; tests/test_mfa_*.py test the real steps)."""
    from django.test import Client

    from seuil.accounts.sessions import METHODS

    original = Client.force_login

    def force_login(self: Client, user: Any, backend: str | None = None) -> None:
        original(self, user, backend)
        session = self.session
        now = time.time()
        session[METHODS] = {"pwd": now, "otp": now}
        session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


# --- People -----------------------------------------------------------------------------------


@pytest.fixture
def make_person() -> Callable[..., Person]:
    """Register a person as HR would; keyword arguments override the defaults. With password=,
    the account is also activated with that password."""
    counter = iter(range(1, 1_000_000))

    def make(password: str | None = None, **fields: Any) -> Person:
        values: dict[str, Any] = {
            "status": "administratif",
            "external_id": f"T{next(counter)}",
            "first_name": "Jean",
            "last_name": "Dupont",
            "birth_date": date(1980, 5, 12),
            "start_date": date(2026, 9, 1),
            "personal_email": "",
            **fields,
        }
        person = Person(**values)
        person.register()
        if password is not None:
            person.account.set_password(password)
            person.account.activated_at = timezone.now()
            person.account.save()
        return person

    return make


PASSWORD = "Lbmx4kr7Tq"  # a password the policy accepts, for the people tests activate
ACTIVATION_URL = "/gestion-de-compte/validation-personnel/"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token of the page's form."""
    match = CSRF.search(html)
    assert match, "the page has a form with a CSRF token"
    return match.group(1)


def without_csrf(html: str) -> str:
    """The page without its CSRF tokens, which differ on every answer."""
    return CSRF.sub("", html)


@pytest.fixture
def jean(make_person: Callable[..., Person]) -> Person:
    """Jean Dupont, staff, activated with PASSWORD and a confirmed personal address."""
    person = make_person(password=PASSWORD)
    person.account.recovery_email = "jean@example.org"
    person.account.save()
    return person


@pytest.fixture
def with_sesame(make_person: Callable[..., Person]) -> tuple[Person, str]:
    """Jean Dupont, registered, not activated, and the Sésame HR just issued him."""
    person = make_person()
    return person, Sesame.issue(person.account)[1]


@pytest.fixture
def pending(make_person: Callable[..., Person]) -> Account:
    """Jean Dupont's account, whose personal address jean@example.org awaits its confirmation."""
    account = make_person().account
    account.pending_email = "jean@example.org"
    account.save()
    return account


# --- A real SMTP server on loopback -----------------------------------------------------------


@dataclass
class Inbox:
    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


class _Collector:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, _class=EmailMessage, policy=default)
        self.inbox.messages.append(message)
        return "250 OK"


@pytest.fixture
def researcher(make_person: Callable[..., Person]) -> Account:
    """Jean Dupont, teacher-researcher, activated with Lbmx4kr7Tq and a confirmed address, and a
    research service on the catalogue for the portal to show."""
    account = make_person(status="enseignant-chercheur", password="Lbmx4kr7Tq").account
    account.recovery_email = "jean@example.org"
    account.save()
    Service.objects.register(
        name="Archive ouverte",
        description="Publications.",
        url="https://archive.example/",
        theme="recherche",
        statuses=["enseignant-chercheur"],
    )
    return account


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[Inbox]:
    """aiosmtpd on a free loopback port; Django's SMTP backend points at it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox("127.0.0.1", port)
    controller = Controller(_Collector(inbox), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    try:
        yield inbox
    finally:
        controller.stop()


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


# --- A real browser ---------------------------------------------------------------------------

CHROMIUM = Path(os.environ.get("SEUIL_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "test-artifacts"


@pytest.fixture(scope="session")
def browser() -> "Iterator[Browser]":
    need("Chromium", CHROMIUM.is_file(), f"no browser at {CHROMIUM}; apt-get install chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the tests' own ORM calls are
    # still synchronous, which Django would otherwise refuse.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: "Browser", request: pytest.FixtureRequest) -> "Iterator[Page]":
    """A fresh page; on failure its screenshot lands in var/test-artifacts, which CI keeps."""
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


# --- A real OpenLDAP directory on loopback ----------------------------------------------------


@pytest.fixture(scope="session")
def slapd() -> Iterator["Sandbox"]:
    """Debian's slapd with seuil's schema, the argon2 module and the ACLs, once per run."""
    from seuil.directory import sandbox

    need("slapd", sandbox.slapd_available(), "apt-get install slapd ldap-utils (.ci/run does)")
    server = sandbox.start()
    yield server
    server.stop()


@pytest.fixture
def directory(slapd: "Sandbox", settings: Any) -> Iterator["Sandbox"]:
    """seuil pointed at the directory, whose people branch starts empty."""
    for name, value in slapd.settings().items():
        setattr(settings, name, value)
    yield slapd
    conn = slapd.admin()
    for dn, _attrs in conn.search_s(slapd.people_dn, 1, "(objectClass=*)", ["1.1"]):
        conn.delete_s(dn)
    conn.unbind_s()
