from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from seuil.accounts.models import Account
from seuil.audit.models import Action, AuditEvent
from seuil.security.middleware import no_referrer

TOKEN = "confirm_email_token"  # noqa: S105 -- a session key, not a secret


@no_referrer
@never_cache
def confirm_link(request: HttpRequest, token: str) -> HttpResponse:
    """Keep the token in the session and drop it from the address, which could leak it. (The
    page with the form cannot itself send no-referrer: browsers would then post Origin: null,
    which CSRF protection rightly refuses.)"""
    request.session[TOKEN] = token[:500]
    return redirect("accounts:confirm-email")


@never_cache
def confirm_email(request: HttpRequest) -> HttpResponse:
    """GET shows a button and POST confirms: mail scanners that follow links confirm nothing."""
    token = request.session.get(TOKEN)
    if request.method != "POST" or token is None:
        address = Account.address_to_confirm(token) if token else ""
        context = {"done": token is None or not address, "account": None, "address": address}
        return render(request, "accounts/confirm_email.html", context)
    account = Account.confirm_email(token)
    request.session.pop(TOKEN, None)
    if account:
        AuditEvent.record(Action.EMAIL_CONFIRMED, account=account, request=request)
    return render(request, "accounts/confirm_email.html", {"done": True, "account": account})
