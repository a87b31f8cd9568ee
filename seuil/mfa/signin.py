"""The second step of signing in, between a right password and an open session.

After the password, an account with a second factor is not signed in yet: the session holds a
signed, five-minute "pending" state (the account and the time of the password), and the
second-factor page finishes the sign-in. An operator without a factor is signed in and sent to
enrol one: the admin stays shut until a factor is used (seuil.mfa.middleware)."""

from collections.abc import Callable
from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from seuil.accounts.models import Account
from seuil.accounts.sessions import SIGNED_IN_FOR, open_session, record_method
from seuil.core.steps import Steps
from seuil.mfa.models import has_factor

PENDING = Steps("mfa-pending", max_age=timedelta(minutes=5))

# Browsers apply CSP form-action to every redirect after a form is posted: the second factor's
# form ends at the service the sign-in was for. Single sign-on registers how to find that
# service's origins from the page the sign-in goes on to (an authorization request, a CAS login).
OriginsOf = Callable[[str], list[str]]
_origin_finders: list[OriginsOf] = []


def redirects_after(finder: OriginsOf) -> OriginsOf:
    """Register a finder (an app above, in its AppConfig.ready()); twice is harmless."""
    if finder not in _origin_finders:
        _origin_finders.append(finder)
    return finder


def origins_after(target: str) -> list[str]:
    """The origins the redirects after the second factor may reach, on the way to `target`."""
    return sorted({origin for finder in _origin_finders for origin in finder(target)})


def second_step(request: HttpRequest, account: Account, next_url: str) -> HttpResponse | None:
    if has_factor(account):
        PENDING.keep(request, pk=account.pk, next=next_url, pwd=timezone.now().timestamp())
        return redirect("mfa:verify")
    if account.is_staff or account.is_superuser:  # the admin's operators
        open_session(request, account)
        return redirect(with_next(reverse("mfa:security"), next_url))
    return None


def with_next(path: str, next_url: str) -> str:
    return f"{path}?{urlencode({'next': next_url})}" if next_url else path


def pending_account(request: HttpRequest) -> tuple[Account, dict[str, object]] | None:
    """The account whose password was right a moment ago in this browser, and the state."""
    state = PENDING.read(request)
    if state is None:
        return None
    pk = state.get("pk")
    account = Account.objects.filter(pk=pk).first() if isinstance(pk, int) else None
    if account is None or not account.is_active:
        return None
    return account, state


def finish(request: HttpRequest, account: Account, method: str) -> str:
    """The second factor is right: open the session (or record the step-up), and say where to
    go next. After a password typed in this browser, the session opens anew even for the person
    already signed in (a re-authentication: SAML's ForceAuthn, CAS' renew): its sign-in time is
    now, and the page that asked for it comes next."""
    now = timezone.now().timestamp()
    state = PENDING.end(request)
    if state is not None:
        open_session(request, account, {"pwd": float(state.get("pwd") or now), method: now})
        request.session[SIGNED_IN_FOR] = str(state.get("next") or "")
        return str(state.get("next") or "")
    record_method(request, method)
    return ""
