from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from seuil.accounts.forms import SignInForm
from seuil.accounts.services import sign_in as sign_in_service
from seuil.accounts.sessions import password_accepted
from seuil.core.http import client_ip
from seuil.core.pages import blank


def next_page(request: HttpRequest) -> str:
    """Where ?next= points, if it stays on this site; else the portal."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe else settings.LOGIN_REDIRECT_URL


@login_not_required
@sensitive_post_parameters("password")
@never_cache
def sign_in(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """The sign-in form; `extra_context` lets a caller title it (single sign-on names the
    service the person comes from)."""
    form = SignInForm(request.POST) if request.method == "POST" else None
    if form is not None and form.is_valid():
        data = form.cleaned_data
        result = sign_in_service(
            login=data["login"], password=data["password"], ip=client_ip(request)
        )
        if result.account:
            return password_accepted(request, result.account, next_page(request))
        form.add_error(None, result.refusal)

    def context() -> dict[str, Any]:  # not made for the page kept blank (seuil.core.pages)
        shown = form if form is not None else SignInForm()
        return {"form": shown, "next": next_page(request), **(extra_context or {})}

    if extra_context:  # a service's name makes the page its own
        return render(request, "accounts/sign_in.html", context())
    return blank(request, "accounts/sign_in.html", context)
