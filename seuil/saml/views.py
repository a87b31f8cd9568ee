"""The SAML endpoints under /saml/: metadata, Web SSO (HTTP-Redirect and HTTP-POST), the
sign-in and consent in between, and single logout. They share seuil's session with OpenID Connect
and CAS: whoever signed in for one is signed in for all."""

from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT

from seuil.accounts.forms import SignInForm
from seuil.accounts.models import Account
from seuil.accounts.services import sign_in as sign_in_service
from seuil.accounts.sessions import end_session, open_session, second_step
from seuil.core.http import client_ip
from seuil.mfa.models import has_factor
from seuil.mfa.session import satisfies_mfa
from seuil.mfa.stepup import ask_for_second_factor
from seuil.people.models import Status
from seuil.saml import idp, metadata, session
from seuil.saml.inbound import Refused, check
from seuil.saml.logout import Answer, answer, check_logout, sign_out_frames
from seuil.saml.models import ServiceProvider
from seuil.saml.outbound import Outgoing, refuse, respond
from seuil.saml.services import consent_needed, record_consent, record_release
from seuil.security.middleware import SIGNED_IN_AT


def _enabled() -> None:
    if not idp.enabled():
        raise Http404


@login_not_required
@require_GET
def metadata_view(request: HttpRequest) -> HttpResponse:
    _enabled()
    return HttpResponse(metadata.document(), content_type="application/samlmetadata+xml")


def _refused(request: HttpRequest, refusal: Refused) -> HttpResponse:
    return render(request, "saml/refused.html", {"reason": refusal.reason}, status=refusal.status)


def _begin(request: HttpRequest, binding: str) -> HttpResponse:
    _enabled()
    data = request.GET if binding == BINDING_HTTP_REDIRECT else request.POST
    values = [data.get(k, "") for k in ("SAMLRequest", "RelayState", "SigAlg", "Signature")]
    if any("\x00" in value for value in values):
        return _refused(request, Refused("NUL"))
    try:
        pending, _sp = check(
            encoded=data.get("SAMLRequest", ""),
            binding=binding,
            relay_state=data.get("RelayState", ""),
            sig_alg=data.get("SigAlg") if binding == BINDING_HTTP_REDIRECT else None,
            signature=data.get("Signature") if binding == BINDING_HTTP_REDIRECT else None,
        )
    except Refused as refusal:
        return _refused(request, refusal)
    key = session.keep(request.session, pending)
    return redirect("saml:continue", key=key)


@login_not_required
@never_cache
@require_GET
def sso_redirect(request: HttpRequest) -> HttpResponse:
    return _begin(request, BINDING_HTTP_REDIRECT)


@login_not_required
@never_cache
@csrf_exempt  # posted by the SP's page, from its origin: the request's checks stand instead
@require_POST
def sso_post(request: HttpRequest) -> HttpResponse:
    return _begin(request, BINDING_HTTP_POST)


def _post_to(request: HttpRequest, outgoing: Outgoing) -> HttpResponse:
    """The page that posts the Response to the SP (HTTP-POST binding); a script submits it, and
    without scripts the person presses the button."""
    response = render(request, "saml/post.html", {"outgoing": outgoing})
    origin = "/".join(outgoing.acs_url.split("/", 3)[:3])
    response._csp_update = {"form-action": [origin]}  # type: ignore[attr-defined]
    return response


@login_not_required
@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def resume(request: HttpRequest, key: str) -> HttpResponse:
    """Sign in if needed (or again, for ForceAuthn), consent if needed, then the Response."""
    pending = session.pending(request.session, key)
    if pending is None:
        return _refused(
            request,
            Refused(
                _("Cette demande de connexion a expiré : revenez au service et recommencez."), 400
            ),
        )
    sp = (
        ServiceProvider.objects.select_related("service")
        .filter(entity_id=pending.entity_id)
        .first()
    )
    if sp is None:
        return _refused(request, Refused(_("Ce service n'est plus connu de l'ENT."), 400))
    user = request.user
    signed_in_at = request.session.get(SIGNED_IN_AT)
    fresh = isinstance(signed_in_at, int | float) and signed_in_at >= pending.received_at
    needs_password = not user.is_authenticated or (pending.force_authn and not fresh)
    if needs_password and pending.is_passive:
        session.drop(request.session, key)
        return _post_to(request, refuse(pending=pending, sp=sp, passive=True))
    if needs_password:
        form = SignInForm(
            request.POST if request.method == "POST" and "password" in request.POST else None
        )
        if form.is_bound and form.is_valid():
            result = sign_in_service(
                login=form.cleaned_data["login"],
                password=form.cleaned_data["password"],
                ip=client_ip(request),
            )
            if result.account:
                # A person with a second factor uses it next, then comes back here.
                back = reverse("saml:continue", kwargs={"key": key})
                pause = second_step(request, result.account, back)
                if pause is not None:
                    return pause
                kept = session.take_all(request.session)
                open_session(request, result.account)
                session.restore(request.session, kept)
                return redirect("saml:continue", key=key)
            form.add_error(None, result.refusal)
        if not form.is_bound:
            login_hint = user.get_username() if user.is_authenticated else ""
            form = SignInForm(initial={"login": login_hint})
        context = {
            "form": form,
            "service": sp,
            "renew": pending.force_authn and user.is_authenticated,
        }
        return render(request, "accounts/sign_in.html", context)
    if not isinstance(user, Account):  # an AnonymousUser was sent to the sign-in above
        raise Http404
    if sp.service is not None and not sp.service.admits(user):
        session.drop(request.session, key)
        labels = dict(Status.choices)
        context = {
            "service": sp.service,
            "statuses": [labels[s] for s in sorted(sp.service.status_codes())],
            "support": settings.SEUIL_SUPPORT_EMAIL,
            "closed": not user.is_active,
        }
        return render(request, "saml/denied.html", context, status=403)
    if not user.is_active:
        session.drop(request.session, key)
        return render(request, "saml/denied.html", {"closed": True}, status=403)
    mfa = satisfies_mfa(request)
    if not mfa and (pending.wants_mfa or (sp.service is not None and sp.service.require_mfa)):
        if pending.is_passive or (pending.wants_mfa and not has_factor(user)):
            # No page may be shown, or none would help: the SP hears why (NoPassive, or
            # NoAuthnContext for a person with no second factor) and decides.
            session.drop(request.session, key)
            refusal = refuse(pending=pending, sp=sp, passive=True, no_context=not has_factor(user))
            return _post_to(request, refusal)
        return ask_for_second_factor(request, user, request.path)  # step-up, then back here
    if sp.service is None and settings.SEUIL_SAML_CONSENT:
        names = consent_needed(account=user, sp=sp)
        if names:
            if request.method == "POST" and request.POST.get("consent") == "yes":
                record_consent(account=user, sp=sp, names=names)
            elif request.method == "POST":
                session.drop(request.session, key)
                return _post_to(request, refuse(pending=pending, sp=sp, passive=False))
            else:
                context = {"sp": sp, "names": names, "key": key}
                return render(request, "saml/consent.html", context)
    authenticated_at = (
        datetime.fromtimestamp(float(signed_in_at), tz=UTC)
        if isinstance(signed_in_at, int | float)
        else timezone.now()
    )
    outgoing = respond(
        pending=pending, sp=sp, account=user, authenticated_at=authenticated_at, mfa=mfa
    )
    session.drop(request.session, key)
    session.remember(
        request.session,
        sp=sp.entity_id,
        name_id=outgoing.name_id,
        name_format=outgoing.name_format,
        session_index=outgoing.session_index,
    )
    record_release(account=user, sp=sp, names=list(outgoing.released), ip=client_ip(request))
    return _post_to(request, outgoing)


def logged_out_page(request: HttpRequest, frames: list[str], answer: Answer | None) -> HttpResponse:
    """The sign-out page: a frame per SP told of the sign-out, then on to `answer` (the SP that
    asked, if one did) once they have loaded, or after three seconds whatever they do."""
    response = render(request, "saml/logged_out.html", {"frames": frames, "answer": answer})
    origins = sorted({"/".join(url.split("/", 3)[:3]) for url in frames})
    update: dict[str, list[str]] = {}
    if origins:
        update["frame-src"] = origins
    if answer is not None and answer.binding == BINDING_HTTP_POST:
        update["form-action"] = ["/".join(answer.url.split("/", 3)[:3])]
    if update:
        response._csp_update = update  # type: ignore[attr-defined]
    return response


def _slo(request: HttpRequest, binding: str) -> HttpResponse:
    _enabled()
    data = request.GET if binding == BINDING_HTTP_REDIRECT else request.POST
    relay_state = data.get("RelayState", "")
    try:
        incoming = check_logout(
            encoded=data.get("SAMLRequest", ""),
            binding=binding,
            relay_state=relay_state,
            sig_alg=data.get("SigAlg") if binding == BINDING_HTTP_REDIRECT else None,
            signature=data.get("Signature") if binding == BINDING_HTTP_REDIRECT else None,
        )
    except Refused as refusal:
        return _refused(request, refusal)
    ended = (incoming.sp.entity_id, incoming.name_id) in {
        (e.entity_id, e.name_id) for e in session.signed_in_of(request.session)
    }  # else another session's NameID: this one goes on
    frames: list[str] = []
    if ended:
        frames = sign_out_frames(request.session, skip=incoming.sp.entity_id)
        end_session(request)
    reply = answer(incoming, ended=ended, relay_state=relay_state)
    if reply is not None and reply.binding == BINDING_HTTP_REDIRECT and not frames:
        return redirect(reply.url)
    return logged_out_page(request, frames, reply)


@login_not_required
@never_cache
@require_GET
def slo_redirect(request: HttpRequest) -> HttpResponse:
    return _slo(request, BINDING_HTTP_REDIRECT)


@login_not_required
@never_cache
@csrf_exempt  # posted by the SP's page; the request's signature stands instead
@require_POST
def slo_post(request: HttpRequest) -> HttpResponse:
    return _slo(request, BINDING_HTTP_POST)
