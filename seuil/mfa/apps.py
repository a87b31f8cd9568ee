from django.apps import AppConfig


class MfaConfig(AppConfig):
    name = "seuil.mfa"
    label = "mfa"
    verbose_name = "Second facteur"

    def ready(self) -> None:
        from seuil.accounts.models.account import read_with_sign_in
        from seuil.accounts.sessions import after_password
        from seuil.mfa import mails  # noqa: F401 -- declares the notices' mail kind
        from seuil.mfa.models import KNOWN, has_factor_sql
        from seuil.mfa.signin import second_step

        after_password(second_step)
        # The second step asks whether the account has a factor: the password's SELECT tells.
        read_with_sign_in(KNOWN, has_factor_sql())
