"""seuil's password policy as one of Django's AUTH_PASSWORD_VALIDATORS.

seuil's own forms check passwords with seuil.accounts.passwords directly. Django's commands and
forms (`createsuperuser`, `changepassword`, the admin's password and operator forms) call
`validate_password` instead: registered here, they apply the same policy to operators, whose
accounts open the admin and so deserve it more than anyone's.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from seuil.accounts.passwords import Context, rule_text, unmet


class PolicyValidator:
    """Every criterion of the green dot, against the account's login and names when known."""

    @sensitive_variables()
    def validate(self, password: str, user: Any = None) -> None:
        context = Context(login=str(getattr(user, "login", "") or ""))
        if callable(getattr(user, "password_context", None)):
            context = user.password_context()
        found = unmet(password, password, context)
        if found:
            raise ValidationError([ValidationError(item.message, code=item.code) for item in found])

    def get_help_text(self) -> str:
        # rule_text() follows "un mot de passe": "d'au moins 9 caractères…"
        return _("Choisissez un mot de passe %(rule)s.") % {"rule": rule_text()}
