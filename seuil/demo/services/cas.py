"""The CAS demonstration service: a CAS 3 client of seuil written with python-cas. Its address
is its CAS service URL: it sends the browser to seuil's /cas/login, validates the ticket at
/cas/p3/serviceValidate (with the attributes), and ends the session a ticket opened when seuil's
single logout POSTs a LogoutRequest naming that ticket."""

import logging

from cas import CASClient, CASClientV3
from django.conf import settings
from django.contrib.sessions.backends.cache import SessionStore
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from seuil.demo.services.pages import I18N_URL, page

log = logging.getLogger(__name__)
USER, ATTRIBUTES = "demo_cas_user", "demo_cas_attributes"
TICKET_LIFETIME = 12 * 3600  # seconds: longer than any seuil session


def _client(request: HttpRequest) -> CASClient:
    return CASClient(
        version=3,
        service_url=request.build_absolute_uri(reverse("home")),
        server_url=f"{settings.SEUIL_BASE_URL}/cas/",
    )


def _ticket_key(ticket: str) -> str:
    return f"demo-cas-ticket:{ticket}"


@csrf_exempt  # seuil's back-channel LogoutRequest carries no CSRF token, by the protocol
@never_cache
def home(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _single_logout(request)
    client = _client(request)
    ticket = request.GET.get("ticket", "")
    if ticket:
        user, attributes, _pgt = client.verify_ticket(ticket)
        if not user:
            return page(
                request,
                "demo/message.html",
                status=403,
                heading=_("seuil n'a pas validé ce ticket"),
                lines=[_("Le ticket est inconnu, déjà utilisé ou expiré : reconnectez-vous.")],
            )
        request.session.cycle_key()
        request.session[USER], request.session[ATTRIBUTES] = user, attributes or {}
        request.session.save()
        # What single logout will name: the ticket, mapped to this session.
        cache.set(_ticket_key(ticket), request.session.session_key, TICKET_LIFETIME)
        return redirect("home")  # the ticket leaves the address bar
    user = request.session.get(USER)
    if not user:
        return redirect(client.get_login_url())
    attributes = request.session.get(ATTRIBUTES, {})
    return page(
        request,
        "demo/service.html",
        who=attributes.get("displayName") or attributes.get("cn") or user,
        login=user,
        issuer=f"{settings.SEUIL_BASE_URL}/cas/",
        received=[(_("Les attributs reçus avec le ticket"), attributes)],
        note=_(
            "Une déconnexion de seuil, où qu'elle ait lieu, déconnecte aussi ce service : seuil "
            "lui envoie une demande de déconnexion (single logout) qui nomme son ticket."
        ),
    )


def _single_logout(request: HttpRequest) -> HttpResponse:
    for index in CASClientV3.get_saml_slos(request.POST.get("logoutRequest", "")) or []:
        key = cache.get(_ticket_key(index.text or ""))
        if key:
            SessionStore(session_key=key).delete()
            cache.delete(_ticket_key(index.text or ""))
            log.info("single logout: the session of ticket %s… ended", (index.text or "")[:8])
    return HttpResponse(status=200)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """Forget the session here, then seuil's /cas/logout, which ends seuil's session and the
    other CAS services', and comes back to the goodbye page."""
    request.session.flush()
    goodbye = request.build_absolute_uri(reverse("goodbye"))
    return redirect(_client(request).get_logout_url(redirect_url=goodbye))


@never_cache
def goodbye(request: HttpRequest) -> HttpResponse:
    return page(
        request,
        "demo/message.html",
        heading=_("Vous êtes déconnecté"),
        lines=[
            _(
                "Ce service a oublié votre session, puis seuil a mis fin à la sienne et prévenu "
                "les autres services CAS qu'il vous avait ouverts."
            )
        ],
    )


urlpatterns = [
    path("", home, name="home"),
    path("deconnexion/", sign_out, name="sign-out"),
    path("au-revoir/", goodbye, name="goodbye"),
    I18N_URL,
]
