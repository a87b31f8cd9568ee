"""When PostgreSQL or Redis is away: a 503 page in French and English, never a traceback or a 500.

seuil keeps nothing that matters outside these two: accounts, Sésames, the outbox and the
directory's queue in PostgreSQL; sessions, the lockout and the rate counters in Redis when
SEUIL_REDIS_URL is set. While either is unreachable, a request that needs it cannot be served
safely, so it is refused whole, at the point where it first reaches the missing store:

- **Nothing half-done.** The error ends the request before anything else runs; a transaction
  that was open is rolled back by the database, a Redis count was never made.
- **Never fail open.** The lockout and the rate limit count an attempt before its secret is
  checked (security/throttle.py). When the count cannot be made, the request ends here, with this
  page, and the secret is never checked: an outage cannot be used to guess without being counted.
  seuil does not fall back to counting in the database meanwhile: sessions live in Redis too, so
  nobody could sign in anyway, and a second set of counters would be forgotten, not merged, when
  Redis comes back.
- **A clear page, not an error.** Django's handler500 (`server_error`) answers these errors with
  503 Service Unavailable, Retry-After, and a static page (it must not touch the store that is
  away); `Outages` on the `django.request` logger writes one warning line for them instead of an
  error with a traceback, so that monitoring sees "unavailable" and no 500.

When the store is back, nothing needs doing: Django opens a new database connection on the next
request (CONN_HEALTH_CHECKS drops the broken one) and redis-py reconnects by itself.
"""

import logging
import sys

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views.defaults import server_error as django_server_error

RETRY_AFTER = 30  # seconds: a database fail-over or a Redis restart usually ends within this

# By name, so that a worker without SEUIL_REDIS_URL never imports redis (security/rate.py).
_DATABASE = {("django.db.utils", "OperationalError"), ("django.db.utils", "InterfaceError")}
_REDIS = {("redis.exceptions", "ConnectionError"), ("redis.exceptions", "TimeoutError")}


def store_away(error: BaseException | None) -> str:
    """ "database" or "redis" when this error, or one it was raised from, says that store cannot
    be reached; "" for any other error."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        for kind in type(error).__mro__:
            name = (kind.__module__, kind.__qualname__)
            if name in _DATABASE:
                return "database"
            if name in _REDIS:
                return "redis"
        error = error.__cause__ or error.__context__
    return ""


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """Django's handler500: a 503 when a store is away, else Django's own 500 page."""
    if not store_away(sys.exc_info()[1]):
        return django_server_error(request, template_name)
    # No request in the context: its processors may read the session, which may be in Redis.
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


class Outages(logging.Filter):
    """On `django.request`: a store being away is one warning line, without a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        away = store_away(error)
        if away:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            what = "the database" if away == "database" else "Redis"
            message = record.getMessage()
            record.msg = "%s (%s is unreachable: %s)"
            record.args = (message, what, type(error).__name__)
            record.exc_info = record.exc_text = None
        return True
