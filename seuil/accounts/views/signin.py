from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from seuil.accounts.forms import SignInForm
from seuil.audit.models import Action, AuditEvent
from seuil.security.middleware import SIGNED_IN_AT


def next_page(request: HttpRequest) -> str:
    """Where ?next= points, if it stays on this site; else the portal."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe else settings.LOGIN_REDIRECT_URL


@sensitive_post_parameters("password")
@never_cache
def sign_in(request: HttpRequest) -> HttpResponse:
    form = SignInForm(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid() and form.account:
        login(request, form.account)  # a new session identifier, and a new CSRF token
        request.session[SIGNED_IN_AT] = timezone.now().timestamp()
        AuditEvent.record(Action.SIGN_IN, account=form.account, request=request)
        return redirect(next_page(request))
    return render(request, "accounts/sign_in.html", {"form": form, "next": next_page(request)})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        AuditEvent.record(Action.SIGN_OUT, account=request.user, request=request)
    logout(request)  # the session is deleted on the server, not only forgotten by the browser
    messages.success(request, _("Vous êtes déconnecté. À bientôt !"))
    return redirect("portal:home")
