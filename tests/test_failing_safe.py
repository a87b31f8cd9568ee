"""While Redis or PostgreSQL is away, seuil refuses with a 503 page in French and English: the
lockout and the rate limit never fail open, nothing is half-done, no 500 and no traceback is
logged (seuil/core/outages.py). bench/rush.py checks the same under load, with real crashes."""

import logging
import shutil
import subprocess  # nosec B404 -- redis-server, from a fixed path
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.db import OperationalError, ProgrammingError, connection
from django.test import Client

from seuil.accounts.models import Account
from seuil.activation.models import Sesame
from seuil.core.outages import store_away
from seuil.people.models import Person
from seuil.security import throttle
from tests.conftest import ACTIVATION_URL, PASSWORD, free_port, need

pytestmark = pytest.mark.django_db
SIGN_IN = "/gestion-de-compte/se-connecter/"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class RedisServer:
    """A redis-server of the test's own, on a free port, without persistence: killed, it comes
    back empty, as the issue's Redis restart does."""

    def __init__(self, folder: str) -> None:
        self.port = free_port()
        self.folder = folder
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        self.process = subprocess.Popen(  # nosec B603
            [*command, "--appendonly", "no", "--dir", self.folder],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        for _ in range(200):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def own_redis(settings: Any) -> Iterator[RedisServer]:
    """seuil with its sessions, lockout and rate counters in a Redis the test can kill."""
    need("redis-server", Path(REDIS_SERVER).exists(), "apt-get install redis-server")
    with tempfile.TemporaryDirectory() as folder:
        server = RedisServer(folder)
        server.start()
        settings.SEUIL_REDIS_URL = server.url
        settings.SESSION_ENGINE = "seuil.security.cache_sessions"
        settings.CACHES = {
            "default": {
                "BACKEND": "seuil.core.redis_cache.RedisCache",
                "LOCATION": server.url,
            }
        }
        settings.SEUIL_RATE_LIMIT = (10_000, 60)
        throttle._redis.cache_clear()
        try:
            yield server
        finally:
            server.kill()
            throttle._redis.cache_clear()


def activation(login: str, sesame: str) -> dict[str, str]:
    return {
        "login": login, "sesame": sesame, "password1": PASSWORD, "password2": PASSWORD,
        "personal_email": "jean@example.org", "charter": "on",
    }  # fmt: skip


def assert_unavailable(response: Any) -> None:
    """The 503 page, in both languages, with when to come back; no traceback."""
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "Service momentanément indisponible" in page
    assert "Service temporarily unavailable" in page
    assert "Traceback" not in page
    assert "Error" not in page


@pytest.fixture
def quiet_client() -> Client:
    """A client that gets what a browser gets: the error page, not the exception."""
    return Client(raise_request_exception=False)


def requests_logged(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "django.request" and r.levelno >= level]


def test_a_locked_account_stays_locked_while_redis_is_away(
    own_redis: RedisServer,
    quiet_client: Client,
    with_sesame: tuple[Person, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The lockout counts before it checks: with Redis gone the count cannot be made, so the
    right Sésame of a locked account is refused with the 503 page, never accepted."""
    person, sesame = with_sesame
    for _ in range(5):
        quiet_client.post(ACTIVATION_URL, activation(person.account.login, "WRON-GWRO-NGWR-ONG"))
    assert throttle.is_locked(person.account.login)
    own_redis.kill()
    assert_unavailable(quiet_client.post(ACTIVATION_URL, activation(person.account.login, sesame)))
    assert not Sesame.objects.get(account=person.account).used_at, "the Sésame is still unused"
    assert not Account.objects.get(pk=person.account.pk).has_usable_password()
    assert not requests_logged(caplog, logging.ERROR), "no error, no traceback in the log"
    warnings = [r.getMessage() for r in requests_logged(caplog, logging.WARNING)]
    assert any("Redis is unreachable" in w for w in warnings), warnings


def test_a_right_password_signs_nobody_in_while_redis_is_away(
    own_redis: RedisServer, quiet_client: Client, jean: Person
) -> None:
    page = quiet_client.get(SIGN_IN)
    assert page.status_code == 200
    own_redis.kill()
    answer = quiet_client.post(SIGN_IN, {"login": jean.account.login, "password": PASSWORD})
    assert_unavailable(answer)
    assert "sessionid" not in answer.cookies or not answer.cookies["sessionid"].value


def test_a_signed_in_person_is_not_shown_as_signed_out_while_redis_is_away(
    own_redis: RedisServer, quiet_client: Client, jean: Person
) -> None:
    """Django's cache sessions read an unreachable Redis as "no session": the portal would send
    the person to the sign-in page, a reset link would be called invalid."""
    page = quiet_client.get(SIGN_IN)
    assert page.status_code == 200
    signed_in = quiet_client.post(SIGN_IN, {"login": jean.account.login, "password": PASSWORD})
    assert signed_in.status_code == 302
    assert quiet_client.get("/mon-ent/").status_code == 200
    own_redis.kill()
    assert_unavailable(quiet_client.get("/mon-ent/"))


def test_seuil_serves_again_as_soon_as_redis_is_back(
    own_redis: RedisServer, quiet_client: Client, with_sesame: tuple[Person, str]
) -> None:
    """No restart of seuil: redis-py reconnects on the next request (Redis came back empty)."""
    person, sesame = with_sesame
    own_redis.kill()
    assert_unavailable(quiet_client.post(ACTIVATION_URL, activation(person.account.login, sesame)))
    own_redis.start()
    answer = quiet_client.post(ACTIVATION_URL, activation(person.account.login, sesame))
    assert answer.status_code == 302, "the activation goes through"
    assert Sesame.objects.get(account=person.account).used_at


def database_away(error: type[Exception]) -> Callable[..., Any]:
    """A connection whose every statement fails as a crashed PostgreSQL's does (Django's own
    hook between the ORM and the driver; bench/rush.py stops a real one)."""

    def execute(*_: Any) -> Any:
        raise error("server closed the connection unexpectedly")

    return execute


def test_the_database_being_away_gets_the_503_page_and_no_500_in_the_log(
    quiet_client: Client, with_sesame: tuple[Person, str], caplog: pytest.LogCaptureFixture
) -> None:
    person, sesame = with_sesame
    form = activation(person.account.login, sesame)
    with connection.execute_wrapper(database_away(OperationalError)):
        answer = quiet_client.post(ACTIVATION_URL, form)
    assert_unavailable(answer)
    assert not requests_logged(caplog, logging.ERROR)
    warnings = [r.getMessage() for r in requests_logged(caplog, logging.WARNING)]
    assert any("the database is unreachable: OperationalError" in w for w in warnings), warnings
    assert quiet_client.post(ACTIVATION_URL, form).status_code == 302, "back at once"


def test_any_other_error_is_still_a_500_with_its_traceback_logged(
    quiet_client: Client, with_sesame: tuple[Person, str], caplog: pytest.LogCaptureFixture
) -> None:
    """Only the stores being away are 503s: a bug stays a 500, loudly."""
    person, sesame = with_sesame
    with connection.execute_wrapper(database_away(ProgrammingError)):
        answer = quiet_client.post(ACTIVATION_URL, activation(person.account.login, sesame))
    assert answer.status_code == 500
    errors = requests_logged(caplog, logging.ERROR)
    assert errors
    assert errors[0].exc_info


def test_an_outage_is_recognised_through_the_errors_raised_from_it() -> None:
    wrapped = RuntimeError("while counting")
    wrapped.__cause__ = redis.ConnectionError("Connection refused")
    assert store_away(wrapped) == "redis"
    assert store_away(OperationalError("gone")) == "database"
    assert store_away(ValueError("no")) == ""
    assert store_away(None) == ""


def test_a_password_change_whose_session_cannot_be_saved_changes_nothing(
    quiet_client: Client, jean: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis gone between the password's update and the session's new key: the page says to
    come back (503), so the password must be the one the person still has (the rush once
    found a 503 over a changed password)."""
    from django.contrib.sessions.backends.base import SessionBase

    quiet_client.post(SIGN_IN, {"login": jean.account.login, "password": PASSWORD})

    def redis_gone(self: SessionBase, *args: Any, **kwargs: Any) -> None:
        raise redis.ConnectionError("Connection refused")

    monkeypatch.setattr(type(quiet_client.session), "save", redis_gone)
    new = "Nouveau2Mot9"
    answer = quiet_client.post(
        "/gestion-de-compte/changer-mon-mot-de-passe/",
        {"current_password": PASSWORD, "password1": new, "password2": new},
    )
    assert_unavailable(answer)
    assert Account.objects.get(pk=jean.account.pk).check_password(PASSWORD)


def test_a_mail_keeps_its_message_id_from_one_attempt_to_the_next(
    smtp_server: Any, jean: Person
) -> None:
    """A retry after a crash between the server's 250 and the row's update is the same message
    (bench/rush.py counts duplicates by it)."""
    from seuil.mailer.kinds import KINDS
    from seuil.mailer.models import OutgoingMail

    kind = next(k for k in KINDS.values() if k.name == "recovery.reset_link")
    row = OutgoingMail.objects.create(kind=kind.name, to="jean@example.org", account=jean.account)
    first = row.message_id()
    OutgoingMail.objects.filter(pk=row.pk).send_due()
    OutgoingMail.objects.filter(pk=row.pk).update(state="pending", due_at=row.created_at)
    OutgoingMail.objects.filter(pk=row.pk).send_due()
    received = [m["Message-ID"] for m in smtp_server.wait_for(2)]
    assert received == [first, first]


def test_mail_after_the_response_waits_quietly_when_the_database_went_away(
    caplog: pytest.LogCaptureFixture, rf: Any
) -> None:
    """The outbox keeps the row for send_mail: a warning, not an error with a traceback."""
    from django.http import HttpResponse

    from seuil.mailer.after_response import after_response, defer_mail

    def view(request: Any) -> HttpResponse:
        after_response(database_away(OperationalError))
        return HttpResponse("ok")

    response = defer_mail(view)(rf.get("/"))
    with caplog.at_level(logging.INFO, logger="seuil.mailer.after_response"):
        response.close()  # the WSGI server does this once the body is written
    records = [r for r in caplog.records if r.name == "seuil.mailer.after_response"]
    assert [(r.levelno, r.exc_info) for r in records] == [(logging.WARNING, None)]
    assert "database away" in records[0].getMessage()


def test_mail_sent_at_the_commit_waits_quietly_when_the_database_went_away(
    jean: Person,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Outside a request's deferral (a task run after a response queues a mail, or a command),
    the mail leaves at the commit: the database going away then is a warning, the row waits."""
    from seuil.mailer import models
    from seuil.mailer.kinds import KINDS

    def database_gone(self: Any) -> Any:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(models.OutgoingMailQuerySet, "send_due", database_gone)
    with caplog.at_level(logging.INFO), django_capture_on_commit_callbacks(execute=True):
        row = models.OutgoingMail.enqueue(
            KINDS["recovery.reset_link"], to="jean@example.org", account=jean.account
        )
    assert [
        (r.levelno, r.exc_info) for r in caplog.records if r.name.startswith(("seuil", "django"))
    ] == [(logging.WARNING, None)]
    assert f"mail [{row.pk}] waits for send_mail (database away)" in caplog.text
    assert models.OutgoingMail.objects.get(pk=row.pk).state == "pending"


def test_a_mail_delivered_as_the_database_went_is_not_sent_again(
    smtp_server: Any, jean: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SMTP server said 250, then the row could not be marked sent: it is marked as soon as
    the database answers again, so the lease's end does not send it a second time."""
    from seuil.core.queue import QueueItem
    from seuil.mailer import models

    row = models.OutgoingMail.objects.create(
        kind="recovery.reset_link", to="jean@example.org", account=jean.account
    )
    real = QueueItem.succeeded

    def database_gone(self: QueueItem) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(QueueItem, "succeeded", database_gone)
    with pytest.raises(OperationalError):
        models.OutgoingMail.objects.filter(pk=row.pk).send_due()
    assert len(smtp_server.wait_for(1)) == 1
    monkeypatch.setattr(QueueItem, "succeeded", real)
    models.OutgoingMail.objects.update(due_at=row.created_at)  # the lease has ended
    models.OutgoingMail.objects.send_due()
    assert models.OutgoingMail.objects.get(pk=row.pk).state == "done"
    time.sleep(0.5)
    assert len(smtp_server.messages) == 1, "delivered once"
