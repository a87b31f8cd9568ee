from datetime import date
from typing import Any

from django import forms
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from seuil.accounts import passwords
from seuil.accounts.fields import NewPasswordFields, RecoveryFields, secret
from seuil.activation.models import Sesame
from seuil.activation.services import verify_sesame

CHARTER_LABEL = _(
    "Je m'engage à respecter la charte d'utilisation de l'environnement numérique de travail"
)


def not_yet_message(opens: date) -> str:
    day = formats.date_format(opens, "DATE_FORMAT")
    return gettext("L'activation de votre compte sera possible à partir du %(day)s.") % {"day": day}


WRONG_SESAME = _(
    "Identifiant ou mot de passe provisoire incorrect. Le Sésame est peut-être expiré ou déjà "
    "utilisé : la DRH peut vous en remettre un nouveau."
)


class CharterField(forms.Form):
    """The charter's checkbox, which both activations (staff and students) end with."""

    charter = forms.BooleanField(
        label=CHARTER_LABEL,
        error_messages={"required": _("Cochez la case pour accepter la charte.")},
    )


class ActivationForm(NewPasswordFields, RecoveryFields, CharterField):
    login = forms.CharField(
        label=_("Identifiant"),
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    sesame = secret(_("Mot de passe provisoire"), "one-time-code", max_length=64)
    field_order = [
        "login",
        "sesame",
        "password1",
        "password2",
        "personal_email",
        "secret_question",
        "secret_answer",
        "charter",
    ]

    def __init__(self, ip: str, proof: dict[str, Any] | None, *args: Any, **kwargs: Any) -> None:
        """`proof`: that a Sésame was verified by an earlier, refused submission (the view keeps
        it, signed and timed); it need not be typed again."""
        self.ip, self.proof = ip, proof
        super().__init__(*args, **kwargs)
        self.fields["sesame"].required = proof is None

    @sensitive_variables()
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.clean_recovery()
        login, code = data.get("login", "").strip().lower(), data.get("sesame", "")
        grant = None
        proven = Sesame.objects.proven(self.proof, login) if login else None
        if proven and not code:
            grant = proven
            if proven.matches(data.get("password1") or ""):  # the code is gone; its hash is not
                self.add_error("password1", passwords.MESSAGES["sesame"]())
        elif login and not code and "sesame" not in self.errors:
            self.add_error("sesame", self.fields["sesame"].error_messages["required"])
        if login and code:
            # The Sésame is checked here: the password policy needs its account's names.
            grant = verify_sesame(login=login, code=code, ip=self.ip)
            if grant is None:
                self.add_error("sesame", WRONG_SESAME)
        if grant and (opens := grant.account.opens_on()) is not None:
            self.add_error(None, not_yet_message(opens))
        data["grant"] = grant
        self.check_password(self.context(login, code, grant))
        return data

    def context(self, login: str, code: str, grant: Sesame | None) -> passwords.Context:
        """The account's own context once its Sésame is known; before, the login typed."""
        if grant is not None:
            return grant.account.password_context(sesame=code)
        return passwords.Context(login=login.strip().lower(), sesame=code)
