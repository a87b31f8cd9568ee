"""French typography on what seuil renders: a non-breaking space inside « guillemets » and before
: ; ! ?, so that "« Sésame »" never breaks across lines and a colon never starts one.

Messages are written with plain spaces (they are the msgids every translation keys on); this is
applied once, to French output only: pages (TypographyMiddleware), mails (seuil.mailer) and
letters. Only text between tags changes: never a tag, an attribute or a URL.
"""

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.safestring import SafeData, SafeString
from django.utils.translation import get_language

NBSP = "\u00a0"
_TEXT = re.compile(r">([^<]+)<")
# Only a space already there becomes non-breaking: URLs, times and "a:b" are left alone.
_BEFORE = re.compile(r"[ \u00a0]+([:;!?»])")
_AFTER = re.compile(r"«[ \u00a0]+")


def french(text: str) -> str:
    """A non-breaking space before : ; ! ? and », and after «."""
    return _BEFORE.sub(NBSP + r"\1", _AFTER.sub("«" + NBSP, text))


def french_html(html: str) -> str:
    """The same, on text between tags; markup that was safe stays safe (only spaces change)."""
    result = _TEXT.sub(lambda m: ">" + french(m.group(1)) + "<", html)
    if isinstance(html, SafeData):
        return SafeString(result)  # nosec B308 B703 -- only spaces between tags changed
    return result


class TypographyMiddleware:
    """French pages get French spacing; other languages are left as they are."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            (get_language() or "").startswith("fr")
            and response.get("Content-Type", "").startswith("text/html")
            and not response.streaming
            and not request.path.startswith("/admin/")
        ):
            response.content = french_html(response.content.decode(response.charset)).encode(
                response.charset
            )
            if response.has_header("Content-Length"):  # a non-breaking space takes two bytes
                response["Content-Length"] = str(len(response.content))
        return response
