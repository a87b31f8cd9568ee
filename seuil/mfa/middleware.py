"""The admin opens only to an operator who used a second factor in this session.

- A stranger at the admin's login page goes to seuil's sign-in, which asks for the factor.
- An operator signed in with a password alone (before enrolling) goes to enrol one; one who
  has a factor but has not used it in this session (a session opened before) goes to use it.
"""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from seuil.mfa.models import has_factor
from seuil.mfa.session import satisfies_mfa
from seuil.mfa.signin import with_next

Handler = Callable[[HttpRequest], HttpResponse]


class operators_need_mfa:  # lower case, as the settings name every middleware here
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or match.app_name != "admin":
            return None
        if match.url_name == "login":  # one sign-in page for everyone, with its second step
            target = request.GET.get("next") or reverse("admin:index")
            return redirect(with_next(reverse("accounts:sign-in"), target))
        user = request.user
        if match.url_name == "logout" or not user.is_authenticated or not user.is_staff:
            return None
        if satisfies_mfa(request):
            return None
        page = "mfa:verify" if has_factor(user) else "mfa:security"
        return redirect(with_next(reverse(page), request.get_full_path()))
