from django.apps import AppConfig


class MfaConfig(AppConfig):
    name = "seuil.mfa"
    label = "mfa"
    verbose_name = "Second facteur"

    def ready(self) -> None:
        from seuil.accounts.sessions import after_password
        from seuil.mfa import mails  # noqa: F401 -- declares the notices' mail kind
        from seuil.mfa.signin import second_step

        after_password(second_step)
