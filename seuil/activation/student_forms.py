"""Validation Étudiant: identify (number and birth date), then the mailed code, then the form."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from seuil.accounts.fields import NewPasswordFields, RecoveryFields
from seuil.accounts.models import Account
from seuil.accounts.states import CLOSED
from seuil.activation.forms import CharterField, not_yet_message
from seuil.activation.services import find_student, verify_student_code

WRONG_PAIR = _("Numéro d'étudiant ou date de naissance incorrect.")
NO_ADDRESS = _(
    "Aucun mail personnel n'est connu pour vous : demandez un Sésame au service de la scolarité, "
    "puis activez votre compte avec « J'ai un Sésame »."
)
ALREADY = _("Votre compte est déjà activé : connectez-vous, ou utilisez « Mot de passe oublié ».")


class IdentifyForm(forms.Form):
    number = forms.CharField(
        label=_("Numéro d'étudiant"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    birth_date = forms.DateField(
        label=_("Date de naissance"),
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        help_text=_("Sous la forme JJ/MM/AAAA, par exemple 05/03/2007."),
        widget=forms.TextInput(attrs={"autocomplete": "bday", "inputmode": "numeric"}),
    )

    def __init__(self, ip: str, *args: Any, **kwargs: Any) -> None:
        self.ip = ip
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "number" not in data or "birth_date" not in data:
            return data
        student = find_student(number=data["number"], born=data["birth_date"], ip=self.ip)
        if student is None:
            raise forms.ValidationError(WRONG_PAIR)
        # The right pair: from here, saying why is no longer telling a stranger anything.
        account = student.account
        if account.state_on() in CLOSED:
            raise forms.ValidationError(account.closed_message())
        if account.activated_at:
            raise forms.ValidationError(ALREADY)
        if (opens := account.opens_on()) is not None:
            raise forms.ValidationError(not_yet_message(opens))
        if not student.personal_email:
            raise forms.ValidationError(NO_ADDRESS)
        data["student"] = student
        return data


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code reçu par mail"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, ip: str, account: Account, *args: Any, **kwargs: Any) -> None:
        self.ip, self.account = ip, account
        super().__init__(*args, **kwargs)

    @sensitive_variables()
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "code" in data:
            data["grant"] = verify_student_code(account=self.account, code=data["code"], ip=self.ip)
            if data["grant"] is None:
                self.add_error(
                    "code",
                    _("Code incorrect ou expiré. Après cinq erreurs, demandez-en un nouveau."),
                )
        return data


class StudentActivationForm(NewPasswordFields, RecoveryFields, CharterField):
    def __init__(self, account: Account, *args: Any, **kwargs: Any) -> None:
        self.account = account
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.clean_recovery()
        self.check_password(self.account.password_context())
        return data
