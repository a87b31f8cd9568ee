from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from seuil.accounts import unlock as unlocking
from seuil.accounts.links import read_unlock_token
from seuil.core.http import client_ip
from seuil.core.steps import Steps
from seuil.security.middleware import no_referrer

# The link's token, kept off the address bar; the token itself ends with the lock it lifts.
UNLOCKING = Steps("unlock", max_age=timedelta(days=1))


@login_not_required
@no_referrer
@never_cache
@require_http_methods(["GET", "HEAD"])
def unlock_link(request: HttpRequest, token: str) -> HttpResponse:
    """Keep the token in the session and drop it from the address, which could leak it. A token
    not made here gets the void-link page at once, and no session."""
    if read_unlock_token(token) is None:
        return render(request, "accounts/unlock.html", {"account": None})
    UNLOCKING.keep(request, token=token)
    return redirect("accounts:unlock")


@login_not_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unlock(request: HttpRequest) -> HttpResponse:
    """GET shows a button and POST unlocks: mail scanners that follow links unlock nothing."""
    state = UNLOCKING.read(request)
    token = state["token"] if state else ""
    if request.method != "POST":
        account = unlocking.unlockable(token)
        return render(request, "accounts/unlock.html", {"account": account})
    account = unlocking.unlock(token=token, ip=client_ip(request))
    UNLOCKING.end(request)
    if account is None:
        return render(request, "accounts/unlock.html", {"account": None})
    messages.success(request, _("Votre compte est déverrouillé : vous pouvez vous connecter."))
    return redirect("accounts:sign-in")
