"""The CAS 3.0 endpoints under /cas/. The browser's pages share seuil's session: whoever signed in
for an OpenID Connect service, or on seuil itself, gets a ticket without typing a password."""

import logging
from collections.abc import Callable
from functools import wraps
from urllib.parse import parse_qs, quote, urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from seuil.accounts.forms import SignInForm
from seuil.accounts.models import Account
from seuil.accounts.services import sign_in as sign_in_service
from seuil.accounts.sessions import (
    SIGNED_IN_FOR,
    authentication,
    end_session,
    methods_used,
    open_session,
    second_step,
)
from seuil.cas import responses, services, session
from seuil.cas.models import (
    CasService,
    Kind,
    ProxyGrantingTicket,
    ServiceTicket,
    digest,
    new_ticket,
)
from seuil.cas.responses import Code
from seuil.core.http import client_ip
from seuil.core.outages import store_away
from seuil.mfa.session import satisfies_mfa
from seuil.mfa.stepup import ask_for_second_factor


def _set(request: HttpRequest, name: str) -> bool:
    """The specification's boolean parameters: present means set, unless it says false."""
    value = request.GET.get(name)
    return value is not None and value.strip().lower() not in {"false", "0", "no"}


def _fresh(request: HttpRequest) -> bool:
    """Whether the person has just typed their credentials for this very request: the sign-in
    went through the second factor's page, which comes back here (renew is then satisfied)."""
    return request.session.get(SIGNED_IN_FOR) == request.get_full_path()


def origins_of_login(target: str) -> list[str]:
    """The origin of the registered service a CAS login in `target` sends its ticket to."""
    parts = urlsplit(target)
    if parts.path != reverse("cas:login"):
        return []
    service_url = parse_qs(parts.query).get("service", [""])[0]
    if not service_url or CasService.objects.for_url(service_url) is None:
        return []
    service = urlsplit(service_url)
    return [f"{service.scheme}://{service.netloc}"]


def with_ticket(service: str, ticket: str) -> str:
    base, hashmark, fragment = service.partition("#")
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}ticket={quote(ticket)}{hashmark}{fragment}"


def grant(
    request: HttpRequest, registration: CasService, account: Account, *, new_login: bool
) -> HttpResponse:
    """A ticket for the service, or the page that says why not."""
    service_url = request.GET["service"]
    gateway = _set(request, "gateway") and not _set(request, "renew")
    if not account.is_active or not registration.service.admits(account):
        if gateway:  # no interaction was asked for: back to the service, without a ticket
            return redirect(service_url)
        return render(
            request,
            "cas/refused.html",
            {
                "service": registration.service,
                "closed": not account.is_active,
                "statuses": registration.service.status_labels(),
                "support": settings.SEUIL_SUPPORT_EMAIL,
            },
            status=403,
        )
    if registration.service.require_mfa and not satisfies_mfa(request):
        if gateway:
            return redirect(service_url)
        return ask_for_second_factor(request, account, request.get_full_path())
    signed_in = authentication(request.session)
    ticket = ServiceTicket.objects.issue(
        service=service_url,
        account=account,
        authenticated_at=signed_in.at if signed_in else timezone.now(),
        from_new_login=new_login,
        sso=session.sso_of(request.session),
        methods=methods_used(request),
    )
    session.remember(request.session, service=service_url, ticket=ticket)
    request.session.pop(SIGNED_IN_FOR, None)  # one fresh sign-in, one ticket
    return redirect(with_ticket(service_url, ticket))


@login_not_required
@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    service_url = request.GET.get("service", "")
    renew = _set(request, "renew")
    # With the signed-in person's status, whether the service is for it comes in the same
    # statement as the registration (Service.admits reads it).
    person = getattr(request.user, "person", None)
    status = person.status if person is not None else None
    registration = CasService.objects.for_url(service_url, status=status) if service_url else None
    if service_url and registration is None:  # an error page, never a redirect
        return render(request, "cas/unknown_service.html", status=400)
    user = request.user
    if request.method == "POST":
        form = SignInForm(request.POST)
        if form.is_valid():
            result = sign_in_service(
                login=form.cleaned_data["login"],
                password=form.cleaned_data["password"],
                ip=client_ip(request),
            )
            if result.account:
                pause = second_step(request, result.account, request.get_full_path())
                if pause is not None:  # the second factor first; then back here, signed in
                    return pause
                open_session(request, result.account)  # ends someone else's, everywhere
                if registration is None:
                    return redirect(settings.LOGIN_REDIRECT_URL)
                return grant(request, registration, result.account, new_login=True)
            form.add_error(None, result.refusal)
    elif isinstance(user, Account) and user.is_authenticated and (not renew or _fresh(request)):
        if registration is None:
            return redirect(settings.LOGIN_REDIRECT_URL)
        return grant(request, registration, user, new_login=_fresh(request))
    elif registration is not None and _set(request, "gateway") and not renew:
        return redirect(service_url)
    else:
        login_hint = user.get_username() if user.is_authenticated else ""
        form = SignInForm(initial={"login": login_hint})
    service = registration.service if registration else None
    context = {"form": form, "service": service, "renew": renew and user.is_authenticated}
    response = render(request, "accounts/sign_in.html", context)
    if service_url:
        # Browsers apply CSP form-action to the redirects after a post: the sign-in ends at the
        # (registered) service, so its origin joins 'self' on this page.
        parts = urlsplit(service_url)
        response._csp_update = {"form-action": [f"{parts.scheme}://{parts.netloc}"]}  # type: ignore[attr-defined]
    return response


def _asked_here_or_by_a_service(request: HttpRequest) -> bool:
    """Whether a sign-out request comes from seuil's own pages (the browser says same-origin)
    or from a page of a registered CAS service (its Referer has a registered address' origin).
    Anything else, a link or an image on another site, may not sign the person out unasked."""
    if request.headers.get("Sec-Fetch-Site") == "same-origin":
        return True
    parts = urlsplit(request.headers.get("Referer", ""))
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return False
    # Browsers send only the origin across sites (strict-origin-when-cross-origin).
    origin = f"{parts.scheme}://{parts.netloc}"
    return CasService.objects.filter(prefix__startswith=origin + "/").exists()


@login_not_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def logout(request: HttpRequest) -> HttpResponse:
    """Sign out of seuil and of every CAS service of the session, then back to `service` if it
    is registered, else a page that says so. Asked from another site, the person confirms first
    (a POST from that page, under CSRF)."""
    service_url = request.GET.get("service", "")
    registered = bool(service_url) and CasService.objects.for_url(service_url) is not None
    if (
        request.method != "POST"
        and request.user.is_authenticated
        and not _asked_here_or_by_a_service(request)
    ):
        return render(request, "cas/confirm_logout.html", {"service_url": service_url})
    end_session(request)
    if registered:
        return redirect(service_url)
    return render(request, "cas/logged_out.html")


Validator = Callable[[HttpRequest], HttpResponse]
log = logging.getLogger(__name__)


def _answers_in_xml(view: Validator) -> Validator:
    """A back-channel client reads XML: the database failing is INTERNAL_ERROR, not a 500 page."""

    @wraps(view)
    def wrapped(request: HttpRequest) -> HttpResponse:
        try:
            return view(request)
        except DatabaseError as error:
            # An unreachable database is an outage, logged as one line the way Outages does for
            # pages (seuil.core.outages); any other database error is a fault worth a traceback.
            if away := store_away(error):
                log.warning("CAS %s: %s unavailable, answered INTERNAL_ERROR", request.path, away)
            else:
                log.exception("CAS %s failed", request.path)
            proxy = request.path.endswith("/proxy")
            return responses.failure(Code.INTERNAL_ERROR, "try again later", proxy=proxy)

    return wrapped


def _validator(*, proxies: bool, attributes: bool) -> Validator:
    @login_not_required
    @never_cache
    @require_GET
    @_answers_in_xml
    def validate(request: HttpRequest) -> HttpResponse:
        ticket, service_url = request.GET.get("ticket", ""), request.GET.get("service", "")
        if not ticket or not service_url:
            return responses.failure(Code.INVALID_REQUEST, "ticket and service are required")
        row = ServiceTicket.objects.consume(ticket)
        if row is None:
            return responses.failure(Code.INVALID_TICKET, "ticket not recognised or already used")
        if row.proxied and not proxies:
            return responses.failure(
                Code.INVALID_TICKET_SPEC, "a proxy ticket is validated at proxyValidate"
            )
        if row.expired():
            return responses.failure(Code.INVALID_TICKET, "ticket expired")
        if row.service != service_url:
            return responses.failure(Code.INVALID_SERVICE, "ticket issued for another service")
        if _set(request, "renew") and not row.from_new_login:
            return responses.failure(Code.INVALID_TICKET, "ticket not from a new sign-in")
        pgt_iou = None
        callback = request.GET.get("pgtUrl", "")
        if callback:
            refusal = _refuse_callback(callback, service_url)
            if refusal:
                return refusal
            pgt = ProxyGrantingTicket.objects.issue(callback=callback, granted_by=row)
            iou = new_ticket("PGTIOU")
            if services.deliver_pgt(callback, pgt=pgt, iou=iou):
                pgt_iou = iou
            else:  # the proxy did not take it: nobody holds it
                ProxyGrantingTicket.objects.filter(digest=digest(pgt)).delete()
        return responses.success(
            user=row.login,
            attributes=row.attributes if attributes else None,
            authenticated_at=row.authenticated_at,
            from_new_login=row.from_new_login,
            pgt_iou=pgt_iou,
            proxies=row.proxies,
        )

    return validate


def _refuse_callback(callback: str, service_url: str) -> HttpResponse | None:
    """A proxy callback must be HTTPS and registered for the same service as the ticket's."""
    if not services.callback_allowed(callback):
        return responses.failure(Code.INVALID_PROXY_CALLBACK, "the proxy callback must be HTTPS")
    owner = CasService.objects.for_url(service_url)
    registered = CasService.objects.for_url(callback, Kind.PROXY_CALLBACK)
    if owner is None or registered is None or registered.service_id != owner.service_id:
        return responses.failure(
            Code.UNAUTHORIZED_SERVICE_PROXY, "this service may not act as a proxy"
        )
    return None


service_validate = _validator(proxies=False, attributes=False)
p3_service_validate = _validator(proxies=False, attributes=True)
proxy_validate = _validator(proxies=True, attributes=False)
p3_proxy_validate = _validator(proxies=True, attributes=True)


@login_not_required
@never_cache
@require_GET
@_answers_in_xml
def proxy(request: HttpRequest) -> HttpResponse:
    """A proxy ticket for a back-end service, in exchange for a proxy-granting ticket."""
    pgt, target = request.GET.get("pgt", ""), request.GET.get("targetService", "")
    if not pgt or not target:
        return responses.failure(
            Code.INVALID_REQUEST, "pgt and targetService are required", proxy=True
        )
    granting = ProxyGrantingTicket.objects.valid(pgt)
    if granting is None or not granting.account.is_active:
        return responses.failure(Code.INVALID_TICKET, "pgt not recognised", proxy=True)
    registration = CasService.objects.for_url(target)
    if registration is None or not registration.service.admits(granting.account):
        return responses.failure(
            Code.UNAUTHORIZED_SERVICE_PROXY, "no proxy ticket for this target", proxy=True
        )
    ticket = ServiceTicket.objects.issue(
        service=target,
        account=granting.account,
        proxied=True,
        authenticated_at=granting.authenticated_at,
        sso=granting.sso,
        proxies=granting.proxies,
    )
    return responses.proxy_success(ticket)
