"""Send mail after the response has left, not inside the request.

Building and sending a message took about 10 ms inside "Mot de passe oublié", and only for an
account that exists: a timing oracle (issue 10). During a request, what the outbox would send
after the commit waits instead until the response is closed, which the WSGI server does once the
body is written; outside a request (commands, cron) it is sent at once.

The hook is `HttpResponse._resource_closers`, private: Django has no public per-response one
(`request_finished` is a global signal that names no request). tests/test_after_response.py pins
what this relies on, so that a Django upgrade that changes it fails there by name.
"""

import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse

from seuil.core.outages import store_away

logger = logging.getLogger(__name__)
Handler = Callable[[HttpRequest], HttpResponse]
_pending: ContextVar[list[Callable[[], object]] | None] = ContextVar("seuil_after", default=None)


def after_response(task: Callable[[], object]) -> None:
    """Run the task once the current response has been sent, or now outside a request."""
    pending = _pending.get()
    if pending is None:
        task()
    else:
        pending.append(task)


@dataclass
class _Gathered:
    task: Callable[[list[Any]], object]
    items: list[Any]

    def __call__(self) -> object:
        return self.task(self.items)


def after_response_gathered(task: Callable[[list[Any]], object], item: Any) -> None:
    """Like after_response, but the items given for one task during a request run it once,
    together, in order: an activation's two mails leave on one claim and one connection."""
    pending = _pending.get()
    if pending is None:
        task([item])
        return
    for queued in pending:
        if isinstance(queued, _Gathered) and queued.task is task:
            queued.items.append(item)
            return
    pending.append(_Gathered(task, [item]))


def defer_mail(get_response: Handler) -> Handler:
    def middleware(request: HttpRequest) -> HttpResponse:
        from seuil.mailer import models  # here: the models import this module

        pending: list[Callable[[], object]] = []
        if models._delivered:  # delivered while the database was away: recorded once it is back
            pending.append(models.record_delivered)
        token = _pending.set(pending)
        try:
            response = get_response(request)
        finally:
            _pending.reset(token)

        def run() -> None:
            for task in pending:
                try:
                    task()
                except Exception as error:  # the outbox keeps what was not sent, for cron to retry
                    if away := store_away(error):  # an outage, not a bug: no traceback
                        logger.warning(
                            "sending after the response waits for send_mail (%s away)", away
                        )
                    else:
                        logger.exception("sending after the response failed")

        if pending:  # the WSGI server calls close() once the body is written
            response._resource_closers.append(run)  # type: ignore[attr-defined]
        return response

    return middleware
