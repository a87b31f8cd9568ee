"""Changing the factors needs a factor: a session that has not used one while the account has
one (a session opened before the factor was added, from another browser) is asked for it
first. Otherwise whoever held the password in such a session could remove the owner's factor,
or add one of their own and keep the account."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from seuil.accounts.models import Account
from seuil.mfa.models import has_factor
from seuil.mfa.session import satisfies_mfa
from seuil.mfa.signin import with_next

View = Callable[..., HttpResponse]


def factor_first(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        account = request.user
        if isinstance(account, Account) and has_factor(account) and not satisfies_mfa(request):
            if request.content_type == "application/json":
                message = _("Utilisez d'abord votre second facteur : rechargez la page.")
                return JsonResponse({"ok": False, "error": message}, status=403)
            return redirect(with_next(reverse("mfa:verify"), reverse("mfa:security")))
        return view(request, *args, **kwargs)

    return wrapped
