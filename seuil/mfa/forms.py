"""Forms of the second factor: they only validate the shape; the checks are in services."""

from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code à six chiffres de votre application"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            raise forms.ValidationError(_("Le code compte six chiffres."))
        return code


class RecoveryCodeForm(forms.Form):
    recovery_code = forms.CharField(
        label=_("Code de secours"),
        max_length=24,
        help_text=_("Un des dix codes reçus à l'ajout du second facteur, par exemple abcde-23456."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )


class PasskeyNameForm(forms.Form):
    name = forms.CharField(
        label=_("Nom de la clé d'accès"),
        max_length=60,
        help_text=_("Pour la reconnaître plus tard, par exemple « Téléphone » ou « Clé USB »."),
    )


class ResetForm(forms.Form):
    reason = forms.CharField(label=_("Motif"), max_length=200)
