"""The session side of signing in, which only a view can do: services check, views open."""

from django.contrib.auth import login, logout
from django.http import HttpRequest
from django.utils import timezone

from seuil.accounts.models import Account
from seuil.audit.models import Action, AuditEvent
from seuil.core.http import client_ip
from seuil.security.middleware import SIGNED_IN_AT


def open_session(request: HttpRequest, account: Account) -> None:
    """Sign the account in on this browser: a new session identifier and CSRF token, the start
    of the session's absolute lifetime, and the audit."""
    login(request, account, backend="seuil.accounts.backends.AccountBackend")
    request.session[SIGNED_IN_AT] = timezone.now().timestamp()
    AuditEvent.record(Action.SIGN_IN, account=account, ip=client_ip(request))


def end_session(request: HttpRequest) -> None:
    """Sign out of this browser: the audit, then the session deleted on the server, not only
    forgotten by the browser."""
    if isinstance(request.user, Account) and request.user.is_authenticated:
        AuditEvent.record(Action.SIGN_OUT, account=request.user, ip=client_ip(request))
    logout(request)
