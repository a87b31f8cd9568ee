"""What both demonstration services show: who signed in, through which protocol, and what the
service received, with a way back to Mon ENT and a sign-out."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

# The two services' words for what they are; the page shows the one of its KIND.
PROTOCOLS = {
    "oidc": {
        "name": _("Démo OpenID Connect"),
        "protocol": _("OpenID Connect (code d'autorisation avec PKCE)"),
        "library": "Authlib",
    },
    "cas": {
        "name": _("Démo CAS"),
        "protocol": _("CAS 3 (ticket de service validé par /p3/serviceValidate)"),
        "library": "python-cas",
    },
}
I18N_URL = path("i18n/", include("django.conf.urls.i18n"))


def _values(value: Any) -> str:
    return ", ".join(str(item) for item in value) if isinstance(value, list) else str(value)


def page(
    request: HttpRequest,
    template: str,
    *,
    status: int = 200,
    received: list[tuple[str, dict[str, Any]]] | None = None,
    **context: Any,
) -> HttpResponse:
    """A page of this service. `received` lists (heading, claims or attributes)."""
    return render(
        request,
        template,
        {
            **PROTOCOLS[getattr(settings, "KIND", "oidc")],
            "mon_ent": f"{settings.SEUIL_BASE_URL}/mon-ent/",
            "received": [
                (heading, sorted((key, _values(value)) for key, value in values.items()))
                for heading, values in received or []
            ],
            **context,
        },
        status=status,
    )
