"""Django's PostgreSQL backend, whose health check (CONN_HEALTH_CHECKS) asks the socket first.

Django checks a persistent connection before each request's first statement by sending
`SELECT 1`: a round trip on every request, about 0.07 ms of the worker's and the backend's CPU
together. A server that ended the connection (a restart, a crash, `pg_terminate_backend`, an
idle timeout) has closed its end of it, and an idle connection with nothing to read has not been
ended: so an idle connection whose socket has nothing to read is used as it is, and any other
(something to read, a transaction open or failed) is checked by Django's `SELECT 1` as before.
A silent network cut is caught by neither before the statement's timeout, as before.
"""

import select

import psycopg
from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is not None and _idle_with_nothing_to_read(connection.pgconn):
            return True
        return bool(super().is_usable())


def _idle_with_nothing_to_read(pgconn: pq.abc.PGconn) -> bool:
    if pgconn.status != pq.ConnStatus.OK:
        return False
    if pgconn.transaction_status != pq.TransactionStatus.IDLE:
        return False
    try:
        poll = select.poll()
        poll.register(pgconn.socket, select.POLLIN)
        return not poll.poll(0)  # readable, hung up or in error: let SELECT 1 tell
    except (OSError, ValueError, psycopg.Error):  # no socket: the connection is gone
        return False
