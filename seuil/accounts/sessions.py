"""The session side of signing in, which only a view can do: services check, views open.

The session also remembers how its person proved who they are: each method (RFC 8176's names:
`pwd`, `otp`, `hwk`, `swk`) with the time it was last used. Sessions live in Redis or the
database, so every host reads the same record (seuil.mfa reads it for the admin, the
protocols and step-up)."""

from collections.abc import Callable

from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from seuil.accounts.models import Account
from seuil.audit.models import Action, AuditEvent
from seuil.core.http import client_ip
from seuil.security.middleware import SIGNED_IN_AT

METHODS = "seuil_auth_methods"  # {"pwd": timestamp, "otp": timestamp, …}
# The page a sign-in that went through a second step was for: that page (CAS' login, with renew)
# knows the credentials were presented for it, though the session opened on another request.
SIGNED_IN_FOR = "seuil_signed_in_for"

# What may come between a right password and an open session (seuil.mfa registers the second
# factor's page): given the request, the account and where to go next, a step answers a
# response to show instead of opening the session, or None.
SecondStep = Callable[[HttpRequest, Account, str], HttpResponse | None]
_second_steps: list[SecondStep] = []


def after_password(step: SecondStep) -> SecondStep:
    """Register a step (an app above, in its AppConfig.ready()); twice is harmless."""
    if step not in _second_steps:
        _second_steps.append(step)
    return step


def second_step(request: HttpRequest, account: Account, next_url: str) -> HttpResponse | None:
    """What comes between a right password and the session, if anything (the second factor)."""
    for step in _second_steps:
        response = step(request, account, next_url)
        if response is not None:
            return response
    return None


def password_accepted(request: HttpRequest, account: Account, next_url: str) -> HttpResponse:
    """A right password: the second step if one applies, else the session, and on to next."""
    pause = second_step(request, account, next_url)
    if pause is not None:
        return pause
    open_session(request, account)
    return redirect(next_url)


def open_session(
    request: HttpRequest, account: Account, methods: dict[str, float] | None = None
) -> None:
    """Sign the account in on this browser: a new session identifier and CSRF token, the start
    of the session's absolute lifetime, the methods used (the password, unless told), and the
    audit."""
    now = timezone.now().timestamp()
    login(request, account, backend="seuil.accounts.backends.AccountBackend")
    request.session[SIGNED_IN_AT] = now
    request.session[METHODS] = methods or {"pwd": now}
    AuditEvent.record(
        Action.SIGN_IN, account=account, ip=client_ip(request), methods=sorted(methods or ["pwd"])
    )


def methods_used(request: HttpRequest) -> dict[str, float]:
    """The methods this session's person used, with when; empty when not signed in."""
    if not request.user.is_authenticated:
        return {}
    used = request.session.get(METHODS)
    return dict(used) if isinstance(used, dict) else {"pwd": request.session.get(SIGNED_IN_AT, 0)}


def record_method(request: HttpRequest, method: str) -> None:
    """A method used again in this session (step-up): its time is now."""
    used = methods_used(request)
    used[method] = timezone.now().timestamp()
    request.session[METHODS] = used


def end_session(request: HttpRequest) -> None:
    """Sign out of this browser: the audit, then the session deleted on the server, not only
    forgotten by the browser."""
    if isinstance(request.user, Account) and request.user.is_authenticated:
        AuditEvent.record(Action.SIGN_OUT, account=request.user, ip=client_ip(request))
    logout(request)
