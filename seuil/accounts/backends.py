from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from seuil.accounts.models import Account
from seuil.audit.models import Action
from seuil.security import throttle


class AccountBackend(ModelBackend):
    """Every password check, on the ENT or the admin, goes through the per-account lockout."""

    @sensitive_variables("password")
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Account | None:
        if not username or password is None:
            return None
        username = Account.objects.login_of(username)  # the university address works too
        return throttle.attempt(
            username,
            lambda: Account.objects.authenticate(username, password),
            action=Action.SIGN_IN,
            request=request,
        )

    def get_user(self, user_id: Any) -> Account | None:
        account = Account.objects.select_related("person").filter(pk=user_id).first()
        return account if account and account.is_active else None
