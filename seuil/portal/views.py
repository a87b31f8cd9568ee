from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from seuil.accounts.sessions import end_session
from seuil.saml.idp import enabled as saml_enabled
from seuil.saml.logout import sign_out_frames as saml_sign_out_frames
from seuil.saml.views import logged_out_page as saml_logged_out_page
from seuil.sso.models import Service

# What a sign-out does to the services it had opened, said where it happens.
SIGNED_OUT_OF_SERVICES = gettext_lazy(
    "Les services CAS qui vous avaient connecté en sont prévenus et vous déconnectent. Les jetons "
    "des services OpenID Connect sont révoqués : un service qui les vérifie vous déconnecte, un "
    "autre garde sa propre session jusqu'à ce que vous vous y déconnectiez ; sur un poste "
    "partagé, fermez le navigateur."
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
    """Signing out of seuil signs out of every SSO service of the session; SAML SPs are told
    front-channel, in frames of the page that says so, and those with only a SOAP
    SingleLogoutService over the back channel, as the session ends."""
    frames = saml_sign_out_frames(request.session) if saml_enabled() else []
    end_session(request)
    if frames:
        return saml_logged_out_page(request, frames, None)
    messages.success(request, _("Vous êtes déconnecté. À bientôt !"))
    messages.info(request, SIGNED_OUT_OF_SERVICES)
    return redirect("portal:home")
