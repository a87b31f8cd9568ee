"""django-oauth-toolkit's admin pages in French, like the rest of the admin.

What the toolkit marks for translation is in locale/fr (it ships no catalogue); what it does not
(its models' and app's names, two actions, two columns) is named here, from
`SsoConfig.ready()`."""

from django.apps import apps
from django.utils.translation import gettext_lazy as _
from oauth2_provider import admin as toolkit_admin
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

MODELS = {
    get_application_model: (_("application OpenID Connect"), _("applications OpenID Connect")),
    get_access_token_model: (_("jeton d'accès"), _("jetons d'accès")),
    get_refresh_token_model: (_("jeton de rafraîchissement"), _("jetons de rafraîchissement")),
    get_grant_model: (_("code d'autorisation"), _("codes d'autorisation")),
    get_id_token_model: (_("jeton d'identité"), _("jetons d'identité")),
}


def speak_french() -> None:
    apps.get_app_config("oauth2_provider").verbose_name = _("OpenID Connect : clients et jetons")
    for get_model, (singular, plural) in MODELS.items():
        options = get_model()._meta
        options.verbose_name, options.verbose_name_plural = singular, plural
    described = {
        (toolkit_admin.AccessTokenAdmin, "revoke_tokens"): _("Révoquer les jetons d'accès choisis"),
        (toolkit_admin.RefreshTokenAdmin, "revoke_tokens"): _(
            "Révoquer les jetons de rafraîchissement choisis"
        ),
        (toolkit_admin.AccessTokenAdmin, "masked_token"): _("jeton"),
        (toolkit_admin.RefreshTokenAdmin, "masked_token"): _("jeton"),
        (toolkit_admin.GrantAdmin, "masked_code"): _("code"),
    }
    for (admin_class, name), words in described.items():
        method = getattr(admin_class, name, None)
        if method is not None:
            method.short_description = words
