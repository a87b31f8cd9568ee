"""What every test shares: where the database lives, and how a missing component is reported.

`make test` runs the suite on SQLite, then the tests that use the database (the django_db marker
or a database fixture; pytest-django refuses a query from any other) again on a throw-away
PostgreSQL database at SEUIL_TEST_POSTGRES_URL (the browser tests aside: they run once, on
SQLite); each in parallel under pytest-xdist, every worker
with its own databases, Redis database and ports. `pytest -v` says on each line where a test ran.
The `postgres` marker flags the tests whose point is what PostgreSQL does differently (concurrent
writers, SKIP LOCKED); `-m postgres` selects them.
A test whose component is missing skips loudly, or fails when SEUIL_REQUIRE_ALL=1 (as on CI).
"""

import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

import hypothesis
import psycopg
import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connection
from django.utils import timezone, translation

from seuil.accounts.models import Account
from seuil.activation.models import Sesame
from seuil.cas.models import CasService, Kind
from seuil.people.models import Person
from seuil.security import throttle
from seuil.sso.models import Service
from tests import databases, teardown
from tests.databases import on_postgres

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


# pytest-xdist names its workers gw0, gw1…; a run without it is "main". Each worker has its own
# SQLite file, PostgreSQL database, Redis database and ports, so workers never see each other.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


# Ports for the servers tests start (slapd, SMTP, Apache, the hosts of test_two_hosts): each
# worker takes them from a band of its own, below the kernel's ephemeral ports (32768 and up),
# so that neither another worker nor an outgoing connection takes a port between its choice and
# its use. The live server binds port 0 itself, and needs none of this.
PORT_BAND = 1000
_given: set[int] = set()


def free_port(host: str = "127.0.0.1", *, run: int = 1) -> int:
    """A port of this worker's band that nobody listens on now; with `run`, the first of that
    many such ports in a row (the demo serves on three)."""
    number = 0 if WORKER == "main" else 1 + int(WORKER.removeprefix("gw"))
    if len(_given) > PORT_BAND // 2:
        _given.clear()
    first = 20_000 + number * PORT_BAND
    start = random.randrange(PORT_BAND - run + 1)  # other checkouts' runs share the bands
    for offset in range(PORT_BAND - run + 1):
        port = first + (start + offset) % (PORT_BAND - run + 1)
        ports = range(port, port + run)
        if any(p in _given for p in ports):  # two servers asked for in a row get two ports
            continue
        if not all(_bindable(host, p) for p in ports):
            continue
        _given.update(ports)
        return port
    raise RuntimeError(f"no {run} free port(s) in {first}-{first + PORT_BAND - 1}")


def _bindable(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def redis_for(worker: str, url: str) -> str:
    """SEUIL_TEST_REDIS_URL names the Redis database of a run without workers (default 11);
    worker gwN takes the database N + 1 after it (12…15 by default, of Redis' 16), so the tests
    that flush it never flush another worker's. A run that other runs on the machine must not
    disturb takes its own range (SEUIL_TEST_REDIS_URL=redis://127.0.0.1:6379/8: 8, then 9…12)."""
    if worker == "main":
        return url
    base, _, number = url.rpartition("/")
    return f"{base}/{int(number or 0) + 1 + int(worker.removeprefix('gw'))}"


TEST_REDIS = redis_for(WORKER, os.environ.get("SEUIL_TEST_REDIS_URL", "redis://127.0.0.1:6379/11"))


@pytest.fixture(params=["database", "redis"])
def throttle_backend(request: pytest.FixtureRequest, settings: Any) -> Iterator[str]:
    """Run the test with the throttle's counters in the database, then in Redis."""
    if request.param == "redis":
        need_redis(TEST_REDIS)
        settings.SEUIL_REDIS_URL = TEST_REDIS
        throttle._redis.cache_clear()
        throttle._redis().flushdb()
    yield request.param
    if request.param == "redis":
        throttle._redis().flushdb()
        throttle._redis.cache_clear()


@pytest.fixture
def lockout_backend(throttle_backend: str, settings: Any) -> str:
    """throttle_backend with the per-address rate limit out of the way: the tests of lockouts
    send more attempts than it lets through."""
    settings.SEUIL_RATE_LIMIT = (10_000, 60)
    return throttle_backend


# Everything a run writes to the temporary folder lives in one folder of its own, removed when the
# run ends; a run that was killed leaves its folder, which the next run removes.
RUN_DIR = Path(tempfile.gettempdir()) / f"seuil-tests-{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _quietly(drop: Callable[[str], None], name: str) -> None:
    with contextlib.suppress(psycopg.Error):  # PostgreSQL unreachable: there is nothing to drop
        drop(name)


def _sweep_killed_runs() -> None:
    for folder in Path(tempfile.gettempdir()).glob("seuil-tests-*"):
        pid = folder.name.removeprefix("seuil-tests-")
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _test_database() -> str:
    """The database this process's tests run on: a SQLite file in RUN_DIR, or on PostgreSQL
    test_<DATABASE_URL's name>_<worker>_<pid>, so that two runs on one server never collide."""
    if on_postgres():
        return f"test_{settings.DATABASES['default']['NAME']}_{WORKER}_{os.getpid()}"
    # A file, not memory: threads in race tests then hold truly separate connections.
    return str(RUN_DIR / "seuil.sqlite3")


# Taken before pytest-django creates it: Django then writes the test name over settings' NAME.
TEST_DATABASE = _test_database()


def database_url() -> str:
    """DATABASE_URL for a command in a subprocess to use the test's own database (what a test
    committed with transaction=True is there)."""
    return databases.url_of(connection.settings_dict["NAME"])


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    settings.DATABASES["default"]["TEST"]["NAME"] = TEST_DATABASE
    if not on_postgres():
        # SQLite makes writers wait their turn, 30 s at most in production. Four workers on two
        # cores, beside other runs, make the race tests' 50 writers wait longer than that; a
        # test about what they write must not fail on how busy the machine is.
        settings.DATABASES["default"]["OPTIONS"]["timeout"] = 120


def _one_ssl_context_for_httpx() -> None:
    """httpx builds an SSL context for every Client, loading the system's certificates (27 ms of
    CPU), even for the plain-HTTP servers tests talk to, and the tests make thousands of
    clients: the default one is built once. A change of httpx's internals fails here, loudly."""
    from httpx._transports import default

    build = default.create_ssl_context  # type: ignore[attr-defined]
    shared = build()

    def create_ssl_context(verify: Any = True, cert: Any = None, trust_env: bool = True) -> Any:
        if verify is True and cert is None and trust_env:
            return shared
        return build(verify=verify, cert=cert, trust_env=trust_env)

    default.create_ssl_context = create_ssl_context  # type: ignore[attr-defined]


# settings' NAME before pytest-django writes the test database's over it.
DATABASE_NAME = settings.DATABASES["default"]["NAME"]


@pytest.fixture(scope="session")
def django_db_keepdb(request: pytest.FixtureRequest, django_db_modify_db_settings: None) -> bool:
    """pytest-django's --reuse-db, or True for a worker whose database is already a copy of the
    run's migrated template (tests/databases.py): pytest-django keeps it, and django_db_setup
    below drops it."""
    reused: bool = request.config.getvalue("reuse_db")
    return reused or databases.clone_template(TEST_DATABASE)


@pytest.fixture(scope="session")
def django_db_setup(
    django_db_setup: None,
    django_db_blocker: Any,
    django_db_keepdb: bool,
    request: pytest.FixtureRequest,
) -> Iterator[None]:
    """pytest-django's; at the end, the connections that threads of the tests left open on this
    worker's PostgreSQL database are closed (they would make the DROP fail and leave it on the
    server), and a database copied from the template is dropped."""
    yield
    with django_db_blocker.unblock():
        if on_postgres():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
        if django_db_keepdb and not request.config.getvalue("reuse_db"):
            connection.creation.destroy_test_db(DATABASE_NAME, verbosity=0, keepdb=False)


def _each_saml_key_parsed_once() -> None:
    """pysaml2 parses an entity's private key from its file for every client and server it
    builds (twice each), and OpenSSL's check of an RSA key costs 120 ms; the SAML tests build
    an SP client, or seuil's IdP afresh, in most tests. A worker parses each file once.

    Patched as saml2.sigver is first imported, not imported here: its schemas cost 0.4 s of CPU
    in every pytest process, and xdist's controller and the run that test_suite starts never
    use it (nor does seuil until SAML is first needed)."""
    if "saml2.sigver" in sys.modules:
        _parse_each_key_once(sys.modules["saml2.sigver"])
    else:
        sys.meta_path.insert(0, _PatchOnImport("saml2.sigver", _parse_each_key_once))


def _parse_each_key_once(sigver: Any) -> None:  # saml2.sigver, untyped
    parse = sigver.import_rsa_key_from_file
    parsed: dict[tuple[str, int, int], Any] = {}

    def import_rsa_key_from_file(filename: str) -> Any:
        facts = os.stat(filename)
        key = (str(Path(filename).resolve()), facts.st_mtime_ns, facts.st_size)
        if key not in parsed:
            parsed[key] = parse(filename)
        return parsed[key]

    sigver.import_rsa_key_from_file = import_rsa_key_from_file


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Runs `then` on module `name` as soon as its import has run it, before anyone can use it;
    finding and loading stay the usual finders'."""

    def __init__(self, name: str, then: Callable[[ModuleType], None]) -> None:
        self.name, self.then = name, then

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        run, then = spec.loader.exec_module, self.then

        def exec_module(module: ModuleType) -> None:
            run(module)
            then(module)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def pytest_configure(config: pytest.Config) -> None:
    _one_ssl_context_for_httpx()
    _each_saml_key_parsed_once()
    teardown.flush_keeping_what_migrations_wrote()
    _sweep_killed_runs()
    if not hasattr(config, "workerinput"):  # the controller, or a run without workers
        with contextlib.suppress(psycopg.Error):
            databases.sweep_killed_runs(_alive)
        template = databases.template_name(os.getpid())
        config.add_cleanup(lambda: _quietly(databases.drop_template, template))
    RUN_DIR.mkdir(exist_ok=True)
    config.add_cleanup(lambda: shutil.rmtree(RUN_DIR, ignore_errors=True))
    # Whatever the tests and the code they run put in the temporary folder goes there too.
    tempfile.tempdir = str(RUN_DIR)
    if not hasattr(config, "workerinput"):  # once per run, in pytest-xdist's controller
        _beside_make_runs_env(config)
    # Tests render templates without running collectstatic first: files come from the finders.
    settings.WHITENOISE_USE_FINDERS = True
    (RUN_DIR / "static").mkdir(exist_ok=True)
    settings.STATIC_ROOT = str(RUN_DIR / "static")
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


ENV_FILE = Path(__file__).resolve().parent.parent / ".env"


def _beside_make_runs_env(config: pytest.Config) -> None:
    """The suite runs beside the .env that `make run` writes in the checkout (debug, its own key,
    mail to the console), as after README's two commands: a command a test starts must say
    SEUIL_ENV_FILE= or it reads that file. Without one, the run writes one as make run does, and
    removes it at its end if unchanged."""
    if ENV_FILE.exists():
        return
    made = subprocess.run(["make", "-s", "-C", str(ENV_FILE.parent), ".env"], check=False)
    if made.returncode != 0 or not ENV_FILE.exists():
        return
    written = ENV_FILE.read_bytes()

    def remove() -> None:
        if ENV_FILE.exists() and ENV_FILE.read_bytes() == written:
            ENV_FILE.unlink()

    config.add_cleanup(remove)


# Fixtures through which pytest-django lets a test reach the database (live_server asks for
# transactional_db): with the django_db marker, they are how a test says it uses the database.
# pytest-django refuses any query from a test that has neither.
DATABASE_FIXTURES = frozenset(
    {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback",
     "live_server", "admin_user", "admin_client"}
)  # fmt: skip


def uses_the_database(item: pytest.Item) -> bool:
    fixtures = set(getattr(item, "fixturenames", ()))
    return item.get_closest_marker("django_db") is not None or bool(fixtures & DATABASE_FIXTURES)


def runs_again_on_postgresql(item: pytest.Item) -> bool:
    return uses_the_database(item) and item.get_closest_marker("browser") is None


def pytest_report_header(config: pytest.Config) -> str:
    engine = "PostgreSQL" if on_postgres() else "SQLite"
    runs = "the tests that use the database" if on_postgres() else "every test"
    return f"database: {engine} for {runs}; Redis tests on {TEST_REDIS} (per worker: next ones)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not on_postgres():
        return
    # PostgreSQL runs what differs on it: the tests that use the database. The others ran on
    # the SQLite pass, and would only run again on the same code; so did the browser's, whose
    # point is what Chromium shows and does, above the queries every other test runs on both.
    kept = [item for item in items if runs_again_on_postgresql(item)]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if not runs_again_on_postgresql(i)])
        items[:] = kept
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


def _database_of(item: pytest.Item) -> str:
    if not uses_the_database(item):
        return "no database"
    return f"postgresql {TEST_DATABASE}" if on_postgres() else "sqlite"


@pytest.hookimpl(wrapper=True)
def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> Any:
    """`pytest -v` says on each line which database the test ran on."""
    status = yield
    where = dict(getattr(report, "user_properties", ())).get("database")
    if report.when != "call" or not where or not isinstance(status, tuple) or len(status) != 3:
        return status
    category, letter, word = status
    if isinstance(word, tuple):
        return category, letter, (f"{word[0]} ({where})", word[1])
    return category, letter, f"{word} ({where})" if word else word


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


@pytest.fixture
def staff(make_person: Callable[..., Person]) -> tuple[Person, str]:
    """Éloïse Lefèvre-Martin (elefevre), staff with an accented compound name and a personal address
    from the HR feed, not activated, and the Sésame HR just issued her."""
    person = make_person(
        first_name="Éloïse", last_name="Lefèvre-Martin", personal_email="feed@example.org"
    )
    return person, Sesame.issue(person.account)[1]


def activation_form(login: str, sesame: str, **overrides: Any) -> dict[str, Any]:
    """What a newcomer posts to Validation Personnel: PASSWORD twice, a personal address, the
    charter ticked; keyword arguments replace fields."""
    return {
        "login": login,
        "sesame": sesame,
        "password1": PASSWORD,
        "password2": PASSWORD,
        "personal_email": "eloise.lm@example.org",
        "secret_question": "",
        "secret_answer": "",
        "charter": "on",
        **overrides,
    }


@pytest.fixture
def make_account(make_person: Callable[..., Person]) -> Callable[..., Account]:
    """A person's account: activated with PASSWORD (`active=True`), or registered and waiting
    for its Sésame. Other keyword arguments go to make_person."""

    def make(*, active: bool = True, password: str = PASSWORD, **fields: Any) -> Account:
        return make_person(password=password if active else None, **fields).account

    return make


# --- Operators and services -------------------------------------------------------------------

OperatorKind = Literal["it", "hr", "limited"]


def _rh_group() -> Group:
    # The migrations' group: a committing test's teardown keeps it (tests/teardown.py).
    return Group.objects.get(name="RH")


@pytest.fixture
def make_operator() -> Callable[..., Account]:
    """An operator of the admin, signing in with PASSWORD: "it" (superuser), "hr" (the RH group:
    registers people, issues Sésames, locks) or "limited" (staff with only `permissions`, given
    as codenames). Operators have no person behind them and are never published."""

    def make(
        kind: OperatorKind = "it",
        *,
        login: str | None = None,
        password: str = PASSWORD,
        permissions: Iterable[str] = (),
    ) -> Account:
        operator = Account.objects.create_superuser(login or f"{kind}-test", password)
        if kind != "it":
            operator.is_superuser = False
            operator.save()
        if kind == "hr":
            operator.groups.set([_rh_group()])
        if permissions:
            wanted = set(permissions)
            found = list(Permission.objects.filter(codename__in=wanted))
            assert {p.codename for p in found} == wanted, f"unknown permissions in {wanted}"
            operator.user_permissions.set(found)
        return operator

    return make


@pytest.fixture
def hr(client: Any, make_operator: Callable[..., Account]) -> Any:
    """The test client, signed in to the admin as an HR operator (rh-test)."""
    client.force_login(make_operator("hr", login="rh-test"))
    return client


@pytest.fixture
def it(client: Any, make_operator: Callable[..., Account]) -> Any:
    """The test client, signed in to the admin as an IT operator (it-dupont, superuser)."""
    client.force_login(make_operator("it", login="it-dupont"))
    return client


@pytest.fixture
def make_service() -> Callable[..., Service]:
    """A service on the catalogue; keyword arguments go to Service.objects.register. With
    `cas_prefix`, it is also a CAS service for URLs under that prefix."""

    def make(
        name: str = "Espace de cours",
        *,
        url: str = "https://cours.example/",
        theme: str = "pedagogie",
        statuses: Iterable[str] = ("enseignant", "enseignant-chercheur"),
        cas_prefix: str | None = None,
        **fields: Any,
    ) -> Service:
        service = Service.objects.register(
            name=name, url=url, theme=theme, statuses=list(statuses), **fields
        ).service
        if cas_prefix is not None:
            CasService.objects.replace_for(service, kind=Kind.SERVICE, prefixes=[cas_prefix])
        return service

    return make


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
def researcher(
    make_account: Callable[..., Account], make_service: Callable[..., Service]
) -> Account:
    """Jean Dupont, teacher-researcher, activated with PASSWORD and a confirmed address, and a
    research service on the catalogue for the portal to show."""
    account = make_account(status="enseignant-chercheur")
    account.recovery_email = "jean@example.org"
    account.save()
    make_service(
        "Archive ouverte",
        description="Publications.",
        url="https://archive.univ-montp3.fr/",
        theme="recherche",
        statuses=["enseignant-chercheur"],
    )
    return account


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[Inbox]:
    """aiosmtpd on a free loopback port; Django's SMTP backend points at it."""
    port = free_port()
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


def _chromium() -> Path:
    """SEUIL_CHROMIUM, else Debian's chromium-headless-shell, else its full chromium. The shell is
    Chromium's own headless build, the one Playwright runs headless by default: the same engine,
    the same DevTools (the virtual authenticator the passkey tests drive), without the full
    browser's windowing layers, and 40 % less CPU for the 52 browser tests (`pytest -m browser`,
    process accounting: 135 s of CPU against 82)."""
    if chosen := os.environ.get("SEUIL_CHROMIUM"):
        return Path(chosen)
    shell = Path("/usr/bin/chromium-headless-shell")
    return shell if shell.is_file() else Path("/usr/bin/chromium")


CHROMIUM = _chromium()
ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "test-artifacts"


@pytest.fixture(scope="session")
def browser() -> "Iterator[Browser]":
    need(
        "Chromium",
        CHROMIUM.is_file(),
        f"no browser at {CHROMIUM}; apt-get install chromium-headless-shell",
    )
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
    # In every report (failures, --junitxml, -v): where the test ran.
    report.user_properties.append(("database", _database_of(item)))
    if report.failed:
        report.sections.append(("database", _database_of(item)))
    setattr(item, f"rep_{report.when}", report)
    return report


# --- A real OpenLDAP directory on loopback ----------------------------------------------------


@pytest.fixture(scope="session")
def slapd() -> Iterator["Sandbox"]:
    """Debian's slapd with seuil's schema, the argon2 module and the ACLs, once per run."""
    from seuil.directory import sandbox

    need("slapd", sandbox.slapd_available(), "apt-get install slapd ldap-utils (.ci/run does)")
    server = sandbox.start(port=free_port())
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
