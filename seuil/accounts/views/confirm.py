from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from seuil.accounts.models import Account
from seuil.audit.models import Action, AuditEvent
from seuil.security.middleware import no_referrer


@no_referrer
@never_cache
def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button and POST confirms: mail scanners that follow links confirm nothing."""
    if request.method != "POST":
        return render(request, "accounts/confirm_email.html", {"done": False})
    account = Account.confirm_email(token)
    if account:
        AuditEvent.record(Action.EMAIL_CONFIRMED, account=account, request=request)
    return render(request, "accounts/confirm_email.html", {"done": True, "account": account})
