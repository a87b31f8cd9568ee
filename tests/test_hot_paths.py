"""The statements and the Redis round trips of the requests every newcomer makes (#16, issue 25),
and of a TOTP check (issue 24 §7): each one is a round trip and a fraction of a millisecond of
the server's CPU around the one hash. A new one must be meant.

Counts are exact, per database: on PostgreSQL the sign-on, last_login and the audit row are one
statement (a WITH of three writes), on SQLite three. In a test, each transaction is a savepoint
(two statements more: SAVEPOINT, RELEASE), since the test runs inside one; a server's request
runs in autocommit, where a transaction is BEGIN and COMMIT."""

from collections.abc import Callable, Iterator
from typing import Any

import pyotp
import pytest
import redis
from csp.utils import build_policy
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.forms.models import model_to_dict
from django.test import Client
from django.utils import timezone

from seuil.accounts.models import Account, SignOn
from seuil.audit.models import Action, AuditEvent
from seuil.mfa import services
from seuil.mfa.models import TotpDevice
from seuil.people.models import Person
from seuil.security import throttle
from tests.conftest import ACTIVATION_URL, PASSWORD, TEST_REDIS, need_redis

pytestmark = pytest.mark.django_db
SIGN_IN_URL = "/gestion-de-compte/se-connecter/"


def per_database(sqlite: int, postgresql: int) -> int:
    return postgresql if connection.vendor == "postgresql" else sqlite


@pytest.fixture
def production_redis(settings: Any) -> Iterator[None]:
    """Sessions, the rate window and the lockout in Redis, as in production."""
    need_redis(TEST_REDIS)
    settings.SEUIL_REDIS_URL = TEST_REDIS
    settings.CACHES = {
        "default": {
            "BACKEND": "seuil.core.redis_cache.RedisCache",
            "LOCATION": TEST_REDIS,
        }
    }
    settings.SESSION_ENGINE = "seuil.security.cache_sessions"
    throttle._redis.cache_clear()
    throttle._redis().flushdb()
    yield
    cache.clear()
    throttle._redis().flushdb()
    throttle._redis.cache_clear()


@pytest.fixture
def round_trips(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """What this process sends Redis, one item per round trip (a pipeline is one)."""
    sent: list[bytes] = []
    original: Callable[..., None] = redis.connection.AbstractConnection.send_packed_command

    def counted(self: Any, command: Any, check_health: bool = True) -> None:
        sent.append(command)
        original(self, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counted)
    return sent


def test_the_sign_in_page_makes_no_statement(
    client: Client, django_assert_num_queries: Any
) -> None:
    """The page is the same for every newcomer but for its CSRF token (seuil.core.pages): no
    session, no account, no rate window on a GET."""
    with django_assert_num_queries(0):
        assert client.get(SIGN_IN_URL).status_code == 200


def test_a_sign_in_makes_its_statements_and_no_more(
    client: Client, jean: Person, django_assert_num_queries: Any
) -> None:
    """The rate window (one upsert); the lockout counted before the check (a transaction: one
    upsert per row, which creates, locks and reads it, in key order, then one UPDATE of both;
    the networks counted only near the account's threshold) and forgotten after, one row per
    DELETE (both at once deadlocked concurrent activations on PostgreSQL); the account, with
    whether it has a second factor (seuil.mfa.models.has_factor), in one SELECT; the sign-on,
    last_login and the audit row (one statement on PostgreSQL); the session's INSERT."""
    with django_assert_num_queries(per_database(sqlite=13, postgresql=12)):
        response = client.post(SIGN_IN_URL, {"login": "jdupont", "password": PASSWORD})
    assert response.status_code == 302
    assert Account.objects.get(pk=jean.account.pk).last_login is not None


def test_a_sign_in_in_production_makes_four_round_trips_to_redis_and_few_statements(
    production_redis: None,
    round_trips: list[bytes],
    jean: Person,
    django_assert_num_queries: Any,
) -> None:
    """With Redis: the rate window (one pipeline), the lockout's count (one script, atomic in
    Redis) and its forgetting (one DEL), the session written once (SET NX). The database: the
    account, and the sign-on with last_login and the audit row."""
    Client().post(SIGN_IN_URL, {"login": "jdupont", "password": PASSWORD})  # loads the script
    client = Client()
    round_trips.clear()
    with django_assert_num_queries(per_database(sqlite=4, postgresql=2)):
        response = client.post(SIGN_IN_URL, {"login": "jdupont", "password": PASSWORD})
    assert response.status_code == 302
    assert len(round_trips) == 4, round_trips
    round_trips.clear()
    assert client.get("/mon-ent/").status_code == 200  # the session it wrote is the one it uses
    assert len(round_trips) == 2, round_trips  # the session read (GET), then saved (SET XX)


@pytest.mark.django_db(transaction=True)  # real commits: the mails leave after the response
def test_an_activation_makes_its_statements_with_its_two_mails(
    client: Client, with_sesame: tuple[Person, str], django_assert_num_queries: Any
) -> None:
    person, sesame = with_sesame
    data = {"login": person.account.login, "sesame": sesame, "password1": PASSWORD}
    data |= {"password2": PASSWORD, "personal_email": "jean@example.org", "charter": "on"}
    with django_assert_num_queries(per_database(sqlite=26, postgresql=27)):
        response = client.post(ACTIVATION_URL, data)
    assert response.status_code == 302
    assert len(mail.outbox) == 2


@pytest.fixture
def totp(jean: Person) -> pyotp.TOTP:
    device = TotpDevice.begin(jean.account)
    TotpDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
    return pyotp.TOTP(device.key)


def test_a_totp_check_makes_its_statements(
    jean: Person, totp: pyotp.TOTP, django_assert_num_queries: Any
) -> None:
    """The lockout in the database (as above), the device's key read, its step moved on."""
    with django_assert_num_queries(per_database(sqlite=7, postgresql=8)):
        assert services.check_totp(account=jean.account, code=totp.now(), ip="192.0.2.1")


def test_a_totp_check_with_redis_makes_two_round_trips_and_two_statements(
    production_redis: None,
    round_trips: list[bytes],
    jean: Person,
    totp: pyotp.TOTP,
    django_assert_num_queries: Any,
) -> None:
    """The lockout's count (one script) and its forgetting (one DEL); the device's key read and
    its step moved on, in one conditional UPDATE."""
    throttle.attempt("warm", lambda: True, action="mfa-totp", ip="192.0.2.1")  # loads the script
    round_trips.clear()
    with django_assert_num_queries(2):
        assert services.check_totp(account=jean.account, code=totp.now(), ip="192.0.2.1")
    assert len(round_trips) == 2, round_trips


def test_the_sign_in_writes_its_three_rows_as_the_orm_would(jean: Person) -> None:
    """The sign-on, last_login and the audit row leave in one statement on PostgreSQL, written
    from the models' fields (seuil.core.bulk.insert_statement): each as save() would write it."""
    account, at = jean.account, timezone.now()
    audit = AuditEvent.new(Action.SIGN_IN, account=account, ip="192.0.2.1", methods=["pwd"])
    sign_on = SignOn.objects.open(account=account, session_key="k" * 32, at=at, audit=audit)
    stored = SignOn.objects.get(account=account)
    assert (stored.id, stored.session_key, stored.signed_in_at) == (sign_on.id, "k" * 32, at)
    event = AuditEvent.objects.get(action=Action.SIGN_IN)
    orm = AuditEvent(action=Action.SIGN_IN, outcome="success", actor=account.login,
                     account=account, ip="192.0.2.1", detail={"methods": ["pwd"]}, at=audit.at)  # fmt: skip
    assert model_to_dict(event, exclude=["id"]) == model_to_dict(orm, exclude=["id"])
    assert Account.objects.get(pk=account.pk).last_login == at


def test_an_ordinary_page_gets_django_csps_policy(client: Client, settings: Any) -> None:
    """seuil.security.csp builds the policy once per process: the same text as django-csp's,
    and again when the settings change."""
    assert client.get(SIGN_IN_URL)["Content-Security-Policy"] == build_policy()
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert client.get(SIGN_IN_URL)["Content-Security-Policy"] == "default-src 'none'"
