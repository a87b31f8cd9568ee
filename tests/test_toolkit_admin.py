"""django-oauth-toolkit's admin pages speak French, like the rest of the admin."""

from typing import Any

import pytest
from django.utils.html import escape

pytestmark = pytest.mark.django_db


def test_the_index_names_the_toolkit_and_its_models_in_french(it: Any) -> None:
    page = it.get("/admin/").content.decode()
    for french in ["OpenID Connect : clients et jetons", "Jetons d'accès", "Codes d'autorisation",
                   "Jetons de rafraîchissement", "Jetons d'identité", "Applications OpenID Connect"]:  # fmt: skip
        assert escape(french) in page, french
    assert "Django OAuth Toolkit" not in page
    assert "Access tokens" not in page


def test_the_lists_and_forms_are_in_french(it: Any) -> None:
    tokens = it.get("/admin/oauth2_provider/accesstoken/").content.decode()
    assert "Aucun jeton d&#x27;accès" in tokens or escape("jeton d'accès") in tokens
    form = it.get("/admin/oauth2_provider/application/add/").content.decode()
    for french in ["Identifiant client", "Type de client", "Confidentiel", "Code d'autorisation",
                   "Adresses de retour", "Sans écran de consentement"]:  # fmt: skip
        assert escape(french) in form, french
    for english in ["Client type", "Confidential", "Authorization code", "Redirect uris"]:
        assert english not in form, english


def test_the_revoke_actions_are_named_in_french(rf: Any, make_operator: Any) -> None:
    from django.contrib import admin
    from oauth2_provider.models import get_access_token_model, get_refresh_token_model

    request = rf.get("/admin/")
    request.user = make_operator("it")
    for model, words in [
        (get_access_token_model(), "Révoquer les jetons d'accès choisis"),
        (get_refresh_token_model(), "Révoquer les jetons de rafraîchissement choisis"),
    ]:
        choices = [
            str(label) for _name, label in admin.site._registry[model].get_action_choices(request)
        ]
        assert words in choices
        assert not any("Revoke" in label for label in choices)
