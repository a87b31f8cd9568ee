from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from seuil.cas.session import end_cas_session, sign_out_everywhere
from seuil.sso import views as sso
from seuil.sso.models import Service

# What a sign-out does to the services it had opened, said where it happens.
SIGNED_OUT_OF_SERVICES = gettext_lazy(
    "Les services CAS qui vous avaient connecté en sont prévenus et vous déconnectent. Un service "
    "OpenID Connect garde sa propre session jusqu'à ce que vous vous y déconnectiez : sur un "
    "poste partagé, fermez le navigateur."
)


@login_not_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


@never_cache
def portal(request: HttpRequest) -> HttpResponse:
    """The services of the person's status, grouped by theme, and the person's own panel."""
    person = getattr(request.user, "person", None)
    services = Service.objects.offered_to(person.status) if person else Service.objects.none()
    return render(request, "portal/portal.html", {"person": person, "services": services})


@login_not_required
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """Signing out of seuil signs out of every SSO service of the session."""
    sign_out_everywhere(request)
    messages.success(request, _("Vous êtes déconnecté. À bientôt !"))
    messages.info(request, SIGNED_OUT_OF_SERVICES)
    return redirect("portal:home")


class OidcLogout(sso.Logout):
    """OpenID Connect's RP-initiated logout ends the CAS services' sessions too: the portal, above
    both protocols, joins them (seuil/urls.py routes /oidc/logout/ here)."""

    def do_logout(self, *args: Any, **kwargs: Any) -> HttpResponse:
        end_cas_session(self.request.session)
        return super().do_logout(*args, **kwargs)
