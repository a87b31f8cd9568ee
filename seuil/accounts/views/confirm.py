from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from seuil.accounts.models import CONFIRMATION_AGE, Account
from seuil.audit.models import Action, AuditEvent
from seuil.core.http import client_ip
from seuil.core.steps import Steps
from seuil.security.middleware import no_referrer

# The link's token, kept off the address bar; the token carries its own 24-hour limit.
CONFIRMING = Steps("confirm-email", max_age=CONFIRMATION_AGE)


@login_not_required
@no_referrer
@never_cache
def confirm_link(request: HttpRequest, token: str) -> HttpResponse:
    """Keep the token in the session and drop it from the address, which could leak it. (The
    page with the form cannot itself send no-referrer: browsers would then post Origin: null,
    which CSRF protection rightly refuses.)"""
    CONFIRMING.keep(request, token=token[:500])
    return redirect("accounts:confirm-email")


@login_not_required
@never_cache
def confirm_email(request: HttpRequest) -> HttpResponse:
    """GET shows a button and POST confirms: mail scanners that follow links confirm nothing."""
    state = CONFIRMING.read(request)
    if request.method != "POST" or state is None:
        address = Account.address_to_confirm(state["token"]) if state else ""
        context = {"done": state is None or not address, "account": None, "address": address}
        return render(request, "accounts/confirm_email.html", context)
    account = Account.confirm_email(state["token"])
    CONFIRMING.end(request)
    if account:
        AuditEvent.record(Action.EMAIL_CONFIRMED, account=account, ip=client_ip(request))
    return render(request, "accounts/confirm_email.html", {"done": True, "account": account})
