"""Blank forms, rendered once per process and stamped with each visitor's CSRF token.

The sign-in page, "Validation Personnel" and the other public forms are, for an anonymous visitor
with no message waiting and no query string, the same page for everyone in a language: only their
CSRF token differs. Rendering them through the template engine was most of a sign-in page's CPU
(#16), on the page every newcomer opens. So the page is rendered once per template, language and
path with a marker where the token goes, kept in the process, and each response is that text with
the visitor's own (masked) token in place of the marker. Anything else (a signed-in visitor, a
message, a query string, a bound form) is rendered as usual.

Nothing is shared between processes or hosts: each worker renders its own copy on its first visit,
and a deployment (new templates, settings or translations) starts new workers. Tests that change
settings clear the copies through Django's `setting_changed`.
"""

import secrets
from collections.abc import Callable, Mapping
from typing import Any

from django.contrib.messages import get_messages
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import get_language

# Random per process, so that no text a page could contain ever matches it.
MARKER = "csrf-" + secrets.token_hex(16)
LIMIT = 64  # pages per process: a few templates times the languages, with room to spare

_pages: dict[tuple[str, str, str], str] = {}


def blank(
    request: HttpRequest,
    template: str,
    context: Mapping[str, Any] | Callable[[], Mapping[str, Any]],
) -> HttpResponse:
    """`render(request, template, context)`, for a page that is the same for every anonymous
    visitor but for its CSRF token (the caller says so: an unbound form, no per-person context).
    The context may be a function that makes it: called only when the page is rendered, not
    for the copy kept (an unbound form and the password policy's texts cost a page's GET more
    than the copy)."""
    if not _same_for_everyone(request):
        return render(request, template, context() if callable(context) else context)
    key = (template, get_language() or "", request.path)
    page = _pages.get(key)
    if page is None:
        made = context() if callable(context) else context
        page = render_to_string(template, {**made, "csrf_token": MARKER}, request)
        if len(_pages) < LIMIT:
            _pages[key] = page
    return HttpResponse(page.replace(MARKER, get_token(request)))


def forget(**_: object) -> None:
    """Drop every page kept (settings, templates or translations changed)."""
    _pages.clear()


setting_changed.connect(forget, dispatch_uid="seuil.core.pages")


def _same_for_everyone(request: HttpRequest) -> bool:
    return (
        request.method in {"GET", "HEAD"}
        and not request.META.get("QUERY_STRING")
        and not request.user.is_authenticated
        and not len(get_messages(request))
    )
