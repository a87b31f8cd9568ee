"""seuil/mailer/after_response.py runs its tasks through `HttpResponse._resource_closers`, a
private list of Django's that `close()` empties, and that the WSGI server calls once the body is
written. Django offers no public hook per response (its `request_finished` signal names no
request). These tests pin what seuil relies on, so that the Django upgrade that changes it fails
here, by name, rather than as mail that quietly never leaves."""

from collections.abc import Callable

import pytest
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.test import RequestFactory

from seuil.mailer.after_response import after_response, defer_mail

PINNED = "Django changed HttpResponse._resource_closers: see seuil/mailer/after_response.py"


@pytest.mark.parametrize(
    "make",
    [
        lambda: HttpResponse(b"page"),
        lambda: StreamingHttpResponse(iter([b"a", b"b"])),
        lambda: FileResponse(iter([b"pdf"])),
    ],
    ids=["page", "stream", "file"],
)
def test_djangos_close_runs_the_private_closers_once(make: Callable[[], HttpResponse]) -> None:
    response = make()
    ran: list[str] = []
    closers = getattr(response, "_resource_closers", None)
    assert isinstance(closers, list), PINNED
    closers.append(lambda: ran.append("closed"))
    assert ran == [], PINNED
    response.close()
    assert ran == ["closed"], PINNED
    response.close()
    assert ran == ["closed"], PINNED + " (closers must run once)"


def test_a_deferred_task_runs_when_the_server_closes_the_response_not_before() -> None:
    ran: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        after_response(lambda: ran.append("mail"))
        return HttpResponse(b"done")

    response = defer_mail(view)(RequestFactory().get("/"))
    assert ran == [], "nothing runs inside the request"
    response.close()
    assert ran == ["mail"]


def test_outside_a_request_a_task_runs_at_once() -> None:
    ran: list[str] = []
    after_response(lambda: ran.append("now"))
    assert ran == ["now"]
