"""Defences every request goes through: the per-address limit on POSTs, bounded bodies, default
deny. A session's absolute lifetime is seuil.accounts.sessions.session_lifetime (the idle timeout
is Django's own: SESSION_COOKIE_AGE, saved each request)."""

from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render

from seuil.core.http import client_ip
from seuil.security import rate
from seuil.security.uploads import REFUSED

SIGNED_IN_AT = "seuil_signed_in_at"
Handler = Callable[[HttpRequest], HttpResponse]
P = ParamSpec("P")


V = TypeVar("V", bound=Callable[..., HttpResponse])


def rate_limit_exempt(view: V) -> V:
    """For endpoints that servers call with a secret no one can guess (the OpenID Connect token
    endpoint): a university's Moodle would otherwise spend its address's allowance."""
    view.rate_limit_exempt = True  # type: ignore[attr-defined]
    return view


class rate_limit:  # lower case, as the settings name every middleware here
    """Every public POST counts against its address; operators at work in the admin do not."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if request.method != "POST" or getattr(view, "rate_limit_exempt", False):
            return None  # a page's GET loads neither the session nor the account for this
        operator = request.user.is_authenticated and request.user.is_staff
        address = client_ip(request)
        if not operator and not rate.ip_allowed(address):
            response = render(request, "429.html", status=429)
            response["Retry-After"] = str(rate.limit_for(address)[1])
            return response
        return None


FORMS = {"application/x-www-form-urlencoded", "multipart/form-data"}


def bounded_body(get_response: Handler) -> Handler:
    """Refuse, with seuil's page and before anything else reads it, a body seuil will not parse.

    - Over DATA_UPLOAD_MAX_MEMORY_SIZE by its Content-Length: 413. Django's own cap does not
      cover multipart file parts.
    - A file part: no form takes a file (uploads.NoFiles skips it unread). 400.
    - A form in another charset than UTF-8: Django raises BadRequest while the CSRF check reads
      it, then again inside the 400 and 500 handlers, and gunicorn answers a bare 500. 400.
    - Any other body Django cannot parse (too many fields, a broken multipart): 400.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.method in {"GET", "HEAD", "OPTIONS"}:
            return get_response(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return render(request, "400.html", status=400)
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return render(request, "400.html", status=413)
        charset = (request.content_params or {}).get("charset", "utf-8").strip().lower()
        if request.content_type in FORMS and charset not in {"utf-8", "utf8"}:
            return render(request, "400.html", status=400)
        try:
            request.POST  # noqa: B018 -- parsed here, where a failure can still get seuil's page
        except (BadRequest, MultiPartParserError, SuspiciousOperation):
            return render(request, "400.html", status=400)
        if getattr(request, REFUSED, False):
            return render(request, "400.html", status=400)
        return get_response(request)

    return middleware


class LoginRequired(LoginRequiredMiddleware):
    """Default deny: a view is for signed-in people unless marked @login_not_required. The admin
    keeps guarding its own views: it sends a stranger to its own login page, for operators."""

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        match = request.resolver_match
        if match is not None and match.app_name == "admin":
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


def no_referrer(
    view: Callable[Concatenate[HttpRequest, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """For pages whose address carries a token: never leak it to another site."""

    def wrapped(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        return response

    return wrapped
