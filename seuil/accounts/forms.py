"""Forms of a person's own account: sign-in, password change, recovery information."""

from typing import Any

from django import forms
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from seuil.accounts.emails import normalise_email, validate_personal_email
from seuil.accounts.fields import (
    ANSWER_TOO_SHORT,
    CurrentPasswordField,
    NewPasswordFields,
    answer_field,
    question_field,
    secret,
)
from seuil.accounts.models import Account
from seuil.accounts.passwords import answer_long_enough
from seuil.audit.models import Action


class SignInForm(forms.Form):
    """Only the fields: the check is seuil.accounts.services.sign_in."""

    login = forms.CharField(
        label=_("Identifiant ou adresse de messagerie universitaire"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password = secret(_("Mot de passe"), "current-password")


class AccountForm(forms.Form):
    """A form about the signed-in account, which knows it and the client's address."""

    def __init__(self, ip: str, account: Account, *args: Any, **kwargs: Any) -> None:
        self.ip, self.account = ip, account
        super().__init__(*args, **kwargs)


class ChangePasswordForm(AccountForm, CurrentPasswordField, NewPasswordFields):
    field_order = ["current_password", "password1", "password2"]

    @sensitive_variables()
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.check_current(self.account, self.ip, Action.PASSWORD_CHANGED)
        self.check_password(self.account.password_context())
        current, new = data.get("current_password"), data.get("password1")
        # Once the current password is verified, the same typed twice is no change: refuse it,
        # rather than mail a notice that the password was changed.
        if (
            current
            and new
            and "current_password" not in self.errors
            and constant_time_compare(current, new)
        ):
            self.add_error(
                "password1",
                _("C'est votre mot de passe actuel : choisissez-en un nouveau."),
            )
        return data


class EmailChangeForm(AccountForm, CurrentPasswordField):
    personal_email = forms.EmailField(
        label=_("Nouveau mail personnel"),
        max_length=254,
        validators=[validate_personal_email],
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    field_order = ["personal_email", "current_password"]

    def clean_personal_email(self) -> str:
        return normalise_email(self.cleaned_data["personal_email"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.check_current(self.account, self.ip, Action.RECOVERY_CHANGED)
        return data


class QuestionChangeForm(AccountForm, CurrentPasswordField):
    secret_question = question_field(_("Question secrète"))
    secret_answer = answer_field()
    field_order = ["secret_question", "secret_answer", "current_password"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # It shares a page with EmailChangeForm: its own ids, so that each label focuses its own
        # field (both have a current_password).
        kwargs.setdefault("auto_id", "id_question_%s")
        super().__init__(*args, **kwargs)

    @sensitive_variables()
    def clean_secret_answer(self) -> str:
        answer: str = self.cleaned_data["secret_answer"]
        if not answer_long_enough(answer):
            raise forms.ValidationError(ANSWER_TOO_SHORT)
        return answer

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.check_current(self.account, self.ip, Action.RECOVERY_CHANGED)
        return data
