from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from seuil.accounts import services
from seuil.accounts.models import Account
from seuil.core.http import client_ip
from seuil.core.prepared import PreparedRead

# The signed-in account, read on every request of a session: compiled once per worker.
SIGNED_IN = PreparedRead(
    lambda pk: Account.objects.select_related("person").filter(pk=pk)[:1], -7_340_233
)


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
        return services.authenticate(
            login=username, password=password, ip=client_ip(request) if request else ""
        )

    def get_user(self, user_id: Any) -> Account | None:
        # Django's middleware gives the key as the model's (pk.to_python): the SQL's value.
        account = SIGNED_IN.first(Account._meta.pk.to_python(user_id))
        return account if account and account.is_active else None
