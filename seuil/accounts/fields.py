"""Fields several forms share: a new password under the policy, and a recovery contact."""

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from seuil.accounts import passwords
from seuil.accounts.emails import validate_personal_email
from seuil.security import throttle

SECRET_MAX = 256  # secrets are refused past this, before any hashing
ANSWER_TOO_SHORT = _(
    "Donnez une réponse d'au moins 3 lettres ou chiffres : la ponctuation, les espaces et les "
    "symboles ne comptent pas."
)
DEFAULT_QUESTIONS = [
    gettext_noop("Quel est le nom de votre premier animal de compagnie ?"),
    gettext_noop("Quel est le prénom de votre grand-mère maternelle ?"),
    gettext_noop("Quel était le nom de votre école primaire ?"),
    gettext_noop("Quel est le titre de votre livre préféré ?"),
    gettext_noop("Quelle était la marque de votre première voiture ?"),
    gettext_noop("Dans quelle rue avez-vous grandi ?"),
]


def secret_questions() -> list[tuple[str, str]]:
    """The configurable list; stored as written, shown in the page's language when known."""
    questions = settings.SEUIL_SECRET_QUESTIONS or DEFAULT_QUESTIONS
    return [(q, gettext(q)) for q in questions]


def question_field(label: Any, *, blank: Any = None, required: bool = True) -> forms.ChoiceField:
    """The secret question, chosen from the configured list (read when each form is made, in
    its language); `blank` heads the list with an empty choice of that wording."""

    def choices() -> list[tuple[str, str]]:
        return [("", str(blank)), *secret_questions()] if blank is not None else secret_questions()

    return forms.ChoiceField(label=label, choices=choices, required=required)


def answer_field(*, required: bool = True) -> forms.CharField:
    """The secret answer: hidden as it is typed, kept as typed (it is normalised for hashing)."""
    return forms.CharField(
        label=_("Réponse"),
        required=required,
        max_length=200,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )


def secret(label: Any, autocomplete: str, max_length: int = SECRET_MAX) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete, "spellcheck": "false"}),
    )


class RecoveryFields(forms.Form):
    """Mail personnel, or failing that a secret question and its answer."""

    personal_email = forms.EmailField(
        label=_("Mail personnel"),
        required=False,
        max_length=254,
        validators=[validate_personal_email],
        help_text=_("Il vous permettra de créer un nouveau mot de passe en cas de perte."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    secret_question = question_field(
        _("Question secrète"), blank=_("— à défaut de mail personnel —"), required=False
    )
    secret_answer = answer_field(required=False)

    def clean_personal_email(self) -> str:
        email: str = self.cleaned_data["personal_email"].strip()
        if not email:
            return ""
        if not email.isascii():
            raise forms.ValidationError(
                _("L'adresse ne doit contenir ni accent ni caractère spécial.")
            )
        local, domain = email.rsplit("@", 1)
        domain = domain.lower()
        for own in (settings.SEUIL_MAIL_DOMAIN, settings.SEUIL_STUDENT_MAIL_DOMAIN):
            if domain == own or domain.endswith("." + own):
                raise forms.ValidationError(
                    _("Donnez une adresse personnelle, pas une adresse de l'université.")
                )
        return f"{local}@{domain}"

    def clean_recovery(self) -> None:
        email = self.cleaned_data.get("personal_email")
        question = self.cleaned_data.get("secret_question")
        answer = " ".join((self.cleaned_data.get("secret_answer") or "").split())
        if email and (question or answer):
            self.add_error(
                "secret_question",
                _("Vous avez donné un mail personnel : laissez la question secrète vide."),
            )
        elif not email and not question and "personal_email" not in self.errors:
            self.add_error(
                "personal_email", _("Donnez un mail personnel ou, à défaut, une question secrète.")
            )
        elif question and not passwords.answer_long_enough(answer):
            self.add_error("secret_answer", ANSWER_TOO_SHORT)


class CurrentPasswordField(forms.Form):
    """The current password, checked under the per-account lockout like any secret."""

    current_password = secret(_("Mot de passe actuel"), "current-password")

    @sensitive_variables()
    def check_current(self, account: Any, ip: str, action: str) -> None:
        password = self.cleaned_data.get("current_password")
        if password is None:
            return
        if (
            throttle.attempt(
                account.login,
                lambda: account if account.check_password(password) else None,
                action=action,
                ip=ip,
            )
            is None
        ):
            self.add_error("current_password", _("Mot de passe actuel incorrect."))


class NewPasswordFields(forms.Form):
    """A new password typed twice, checked against the policy the live indicator shows."""

    password1 = secret(_("Nouveau mot de passe"), "new-password")
    password2 = secret(_("Confirmation du nouveau mot de passe"), "new-password")

    @sensitive_variables()
    def check_password(self, context: passwords.Context) -> None:
        password = self.cleaned_data.get("password1")
        confirmation = self.cleaned_data.get("password2")
        if password is None or confirmation is None:
            return
        for unmet in passwords.unmet(password, confirmation, context):
            if unmet.code == "match":
                self.add_error("password2", _("Les deux mots de passe ne sont pas identiques."))
            else:
                self.add_error("password1", unmet.message)
