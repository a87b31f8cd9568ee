"""Step-up: a service asks for a second factor the session has not used. The person uses one
without typing the password again, then comes back to the same request; a person with no factor
gets a page saying how to add one."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from seuil.accounts.models import Account
from seuil.mfa.models import has_factor
from seuil.mfa.signin import with_next


def ask_for_second_factor(request: HttpRequest, account: Account, back_to: str) -> HttpResponse:
    """The second-factor page (then back to `back_to`, a path on this site), or, for a person
    with none, the page that says how to add one (403: nothing is issued)."""
    if has_factor(account):
        return redirect(with_next(reverse("mfa:verify"), back_to))
    context = {"next": back_to, "support": settings.SEUIL_SUPPORT_EMAIL}
    return render(request, "mfa/needed.html", context, status=403)
