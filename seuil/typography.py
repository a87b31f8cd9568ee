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
# A whole page in a few C-level scans, instead of a Python call per text between tags (it cost
# 0.2 ms on the sign-in page): "followed by a `<` before any `>`" means "in a text between tags"
# as long as no `<` or `>` stands alone in a text, which escaped markup never has. A sign is
# looked for first: spaces are everywhere in a page (indentation), signs are few.
_SIGN = re.compile(r"[:;!?»]")
_AFTER_IN_TEXT = re.compile(r"«[ \u00a0]+(?=[^<>]*<)")
_STRAY_OPEN, _STRAY_CLOSE = re.compile(r"<[^>]*<"), re.compile(r">[^<]*>")


def french(text: str) -> str:
    """A non-breaking space before : ; ! ? and », and after «."""
    return _BEFORE.sub(NBSP + r"\1", _AFTER.sub("«" + NBSP, text))


def french_html(html: str) -> str:
    """The same, on text between tags; markup that was safe stays safe (only spaces change)."""
    if _STRAY_OPEN.search(html) or _STRAY_CLOSE.search(html):
        result = _TEXT.sub(lambda m: ">" + french(m.group(1)) + "<", html)
    else:
        head, tag_end, rest = html.partition(">")  # no text between tags before the first ">"
        result = head + tag_end + _spaces_before_signs(_AFTER_IN_TEXT.sub("«" + NBSP, rest))
    if isinstance(html, SafeData):
        return SafeString(result)  # nosec B308 B703 -- only spaces between tags changed
    return result


def _spaces_before_signs(text: str) -> str:
    """_BEFORE's rule where a sign follows spaces in a text between tags."""
    parts: list[str] = []
    done = 0
    for match in _SIGN.finditer(text):
        sign = start = match.start()
        while start > done and text[start - 1] in " " + NBSP:
            start -= 1
        if start < sign and _in_text(text, sign):
            parts += (text[done:start], NBSP)
            done = sign
    parts.append(text[done:])
    return "".join(parts)


def _in_text(text: str, at: int) -> bool:
    """Whether `at` is followed by a `<` before any `>` (checked only where a space precedes a
    sign: a lookahead on every sign scanned the rest of a long text, such as a JSON script)."""
    tag_start, tag_end = text.find("<", at), text.find(">", at)
    return tag_start >= 0 and (tag_end < 0 or tag_start < tag_end)


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
