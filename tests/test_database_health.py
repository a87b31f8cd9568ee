"""seuil.core.postgresql: the health check of a persistent connection asks its socket, and sends
SELECT 1 only when the socket has something to say; a connection the server ended is replaced
before the next request uses it."""

import select
import time
from unittest import mock

import psycopg
import pytest
from django.db import close_old_connections, connection

from seuil.accounts.models import Account

pytestmark = pytest.mark.django_db(transaction=True)  # idle between requests, as in production


@pytest.fixture(autouse=True)
def _postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's health check: the PostgreSQL pass checks it")


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def test_a_healthy_idle_connection_is_used_without_a_round_trip() -> None:
    before = backend_pid()
    close_old_connections()  # a request ends, the next begins
    with mock.patch.object(connection.connection, "cursor", side_effect=AssertionError("sent")):
        assert connection.is_usable()
    assert backend_pid() == before


def test_a_connection_the_server_ended_is_replaced_before_the_next_request() -> None:
    ended = backend_pid()
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"],
        dbname=settings["NAME"], autocommit=True,
    ) as other:  # fmt: skip
        other.execute("SELECT pg_terminate_backend(%s)", [ended])
    poll = select.poll()
    poll.register(connection.connection.pgconn.socket, select.POLLIN)
    deadline = time.monotonic() + 5
    while not poll.poll(50) and time.monotonic() < deadline:
        pass
    assert not connection.is_usable()
    close_old_connections()  # the next request
    assert Account.objects.count() == 0  # on a new connection, no error
    assert backend_pid() != ended
