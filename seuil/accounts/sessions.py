"""The session side of signing in, which only a view can do: services check, views open.

Each signed-in session carries its sign-on (`SIGN_ON`, seuil.accounts.models.SignOn) and the
moment of its sign-in (`SIGNED_IN_AT`): `authentication()` reads them, in one place, for the
protocols that report how and when the person proved who they are (OpenID Connect's auth_time,
CAS' authenticationDate).

The session also remembers how its person proved who they are: each method (RFC 8176's names:
`pwd`, `otp`, `hwk`, `swk`) with the time it was last used. Sessions live in Redis or the
database, so every host reads the same record (seuil.mfa reads it for the admin, the
protocols and step-up)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth import SESSION_KEY, login, logout, update_session_auth_hash
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from seuil.accounts.models import Account, SignOn
from seuil.audit.models import Action, AuditEvent
from seuil.core import hooks
from seuil.core.http import client_ip
from seuil.security.middleware import SIGNED_IN_AT

SIGN_ON = "seuil_sign_on"


@dataclass(frozen=True)
class Authentication:
    """How this session's person proved who they are: the sign-on, and when."""

    sign_on: str
    at: datetime


def authentication(session: SessionBase) -> Authentication | None:
    """The session's sign-in, or None for a session opened before sign-ons were recorded."""
    sign_on, at = session.get(SIGN_ON), session.get(SIGNED_IN_AT)
    if not isinstance(sign_on, str) or not isinstance(at, (int, float)):
        return None
    return Authentication(sign_on, datetime.fromtimestamp(float(at), tz=UTC))


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
    audit. Someone else's session on this browser ends first, everywhere (their services are
    told); the same person signing in again keeps their sign-on, whose sign-in time moves to
    now."""
    previous = request.session.get(SIGN_ON)
    same = isinstance(request.user, Account) and request.user.pk == account.pk
    if isinstance(previous, str) and not same:
        SignOn.objects.filter(id=previous).end(why="replaced", data=dict(request.session.items()))
    login(request, account, backend="seuil.accounts.backends.AccountBackend")
    now = timezone.now()
    request.session[SIGNED_IN_AT] = now.timestamp()
    request.session[METHODS] = methods or {"pwd": now.timestamp()}
    key = request.session.session_key or ""
    kept = isinstance(previous, str) and same
    audit = AuditEvent.new(
        Action.SIGN_IN, account=account, ip=client_ip(request), methods=sorted(methods or ["pwd"])
    )
    if kept and SignOn.objects.filter(id=previous).update(session_key=key, signed_in_at=now):
        request.session[SIGN_ON] = previous
        Account.objects.filter(pk=account.pk).update(last_login=now)
        audit.save(force_insert=True)
    else:  # the sign-on, last_login and the audit row in one statement (PostgreSQL)
        sign_on = SignOn.objects.open(account=account, session_key=key, at=now, audit=audit)
        request.session[SIGN_ON] = sign_on.id


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


def keep_session(request: HttpRequest, account: Account) -> None:
    """After this session's own password change: it stays open under a new key, while
    `end_other_sessions` ends the rest."""
    update_session_auth_hash(request, account)
    sign_on = request.session.get(SIGN_ON)
    if isinstance(sign_on, str):
        SignOn.objects.filter(id=sign_on).update(session_key=request.session.session_key or "")


def end_session(request: HttpRequest, *, why: str = "sign-out") -> None:
    """Sign out of this browser: the audit, the services told (CAS single logout, tokens
    revoked), then the session deleted on the server, not only forgotten by the browser."""
    if isinstance(request.user, Account) and request.user.is_authenticated:
        AuditEvent.record(Action.SIGN_OUT, account=request.user, ip=client_ip(request))
    end_sign_on(request.session, why=why)
    logout(request)


def end_sign_on(session: SessionBase, *, why: str) -> None:
    """Tell the services that this session's sign-on is over; the caller ends the session."""
    sign_on, data = session.get(SIGN_ON), dict(session.items())
    if isinstance(sign_on, str):
        SignOn.objects.filter(id=sign_on).end(why=why, data=data)
        return
    account_id = session.get(SESSION_KEY)  # a session opened before sign-ons were kept
    if account_id is not None:
        hooks.sessions_ended([hooks.EndedSession(int(account_id), "", data, why)])


def session_lifetime(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """End a session SEUIL_SESSION_MAX_HOURS after sign-in, however active it has been; and a
    session whose account closed or whose password changed elsewhere (Django no longer signs it
    in) ends for its services too, not only for the browser."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = timezone.now().timestamp()
            started = request.session.setdefault(SIGNED_IN_AT, now)
            if now - float(started) > settings.SEUIL_SESSION_MAX_HOURS * 3600:
                end_sign_on(request.session, why="lifetime")
                logout(request)
        elif isinstance(request.session.get(SIGN_ON), str):
            end_sign_on(request.session, why="closed")
            request.session.flush()
        return get_response(request)

    return middleware
