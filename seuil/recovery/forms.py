from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from seuil.accounts.fields import NewPasswordFields, answer_field, question_field
from seuil.accounts.models import Account


class ForgotForm(forms.Form):
    identifier = forms.CharField(
        label=_("Identifiant ou adresse de messagerie universitaire"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )


class AnswerForm(forms.Form):
    """The person names their own question: the page shows nothing that depends on the account,
    so it tells nobody whether a login exists, or which address goes with which login."""

    question = question_field(_("Votre question secrète"), blank="—")
    answer = answer_field()


class ResetForm(NewPasswordFields):
    def __init__(self, account: Account, *args: Any, **kwargs: Any) -> None:
        self.account = account
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.check_password(self.account.password_context())
        return data
