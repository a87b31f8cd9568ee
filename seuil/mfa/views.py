"""The second factor's pages: the sign-in's second step (and step-up), and "Mon compte ›
Sécurité" where a person adds and removes factors."""

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from seuil.accounts.models import Account
from seuil.accounts.sessions import record_method
from seuil.accounts.views.signin import next_page
from seuil.audit.models import Action, AuditEvent
from seuil.core.http import client_ip
from seuil.mfa import services
from seuil.mfa.forms import CodeForm, PasskeyNameForm, RecoveryCodeForm
from seuil.mfa.guard import factor_first
from seuil.mfa.models import Passkey, RecoveryCode, TotpDevice, has_factor
from seuil.mfa.signin import finish, origins_after, pending_account, with_next


def _account(request: HttpRequest) -> Account:
    assert isinstance(request.user, Account)  # noqa: S101 -- LoginRequiredMiddleware
    return request.user


def _next(request: HttpRequest) -> str:
    """The page to go back to, if one was asked for and it stays on this site."""
    asked = request.POST.get("next") or request.GET.get("next")
    return next_page(request) if asked else ""


@login_not_required
@sensitive_post_parameters("code", "recovery_code")
@never_cache
def verify(request: HttpRequest) -> HttpResponse:
    """The second factor, after the password (a pending sign-in) or for a signed-in person whom
    a service asks for one (step-up): no password again."""
    pending = pending_account(request)
    if pending is not None:
        account = pending[0]
    elif isinstance(request.user, Account) and request.user.is_authenticated:
        account = request.user
    else:
        return redirect("accounts:sign-in")
    if not has_factor(account):
        return redirect(with_next(reverse("mfa:needed"), _next(request)))
    posted = request.POST if request.method == "POST" else {}
    code_form = CodeForm(posted if "code" in posted else None, prefix=None)
    recovery_form = RecoveryCodeForm(posted if "recovery_code" in posted else None)
    ip = client_ip(request)
    if code_form.is_bound and code_form.is_valid():
        if services.check_totp(account=account, code=code_form.cleaned_data["code"], ip=ip):
            AuditEvent.record(Action.MFA_TOTP, account=account, ip=ip)
            return _signed_in(request, account, "otp")
        code_form.add_error("code", _("Ce code n'est pas le bon, ou il a déjà servi."))
    if recovery_form.is_bound and recovery_form.is_valid():
        code = recovery_form.cleaned_data["recovery_code"]
        if services.check_recovery_code(account=account, code=code, ip=ip):
            left = RecoveryCode.objects.unused().filter(account=account).count()
            if left <= 3:
                messages.warning(
                    request,
                    _("Il vous reste %(n)d codes de secours : renouvelez-les dans Sécurité.")
                    % {"n": left},
                )
            return _signed_in(request, account, "otp")
        recovery_form.add_error(
            "recovery_code", _("Ce code de secours n'est pas le bon, ou il a déjà servi.")
        )
    context = {
        "code_form": code_form,
        "recovery_form": recovery_form,
        "has_passkey": Passkey.objects.filter(account=account).exists(),
        "has_totp": TotpDevice.objects.confirmed().filter(account=account).exists(),
        "has_codes": RecoveryCode.objects.unused().filter(account=account).exists(),
        "next": _next(request),
        "step_up": pending is None,
        "support": settings.SEUIL_SUPPORT_EMAIL,
    }
    response = render(request, "mfa/verify.html", context)
    target = str(pending[1].get("next") or "") if pending else _next(request)
    origins = origins_after(target) if target else []
    if origins:
        response._csp_update = {"form-action": origins}  # type: ignore[attr-defined]
    return response


def _signed_in(request: HttpRequest, account: Account, method: str) -> HttpResponse:
    target = finish(request, account, method) or _next(request) or settings.LOGIN_REDIRECT_URL
    return redirect(target)


@never_cache
def needed(request: HttpRequest) -> HttpResponse:
    """A service asks for a second factor and the person has none: how to add one."""
    context = {"next": _next(request), "support": settings.SEUIL_SUPPORT_EMAIL}
    return render(request, "mfa/needed.html", context)


@never_cache
def security(request: HttpRequest) -> HttpResponse:
    """Mon compte › Sécurité: the factors, and how to add or remove them."""
    account = _account(request)
    context = {
        "totp": TotpDevice.objects.confirmed().filter(account=account).first(),
        "passkeys": list(Passkey.objects.filter(account=account)),
        "codes_left": RecoveryCode.objects.unused().filter(account=account).count(),
        "has_factor": has_factor(account),
        "operator": account.is_staff or account.is_superuser,
        "passkey_form": PasskeyNameForm(),
        "next": _next(request),
    }
    return render(request, "mfa/security.html", context)


@factor_first
@sensitive_post_parameters("code")
@never_cache
def totp_enrol(request: HttpRequest) -> HttpResponse:
    """Add an authenticator application: a QR code and the key in text, then a first code,
    without which the application does not count."""
    account = _account(request)
    if TotpDevice.objects.confirmed().filter(account=account).exists():
        return redirect("mfa:security")
    device = TotpDevice.objects.filter(account=account).first() or TotpDevice.begin(account)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        if services.confirm_totp(account=account, code=code, ip=client_ip(request)):
            record_method(request, "otp")  # the first code is a use of the factor
            return _after_first_factor(request, account)
        form.add_error("code", _("Ce code n'est pas le bon : vérifiez l'heure du téléphone."))
    uri = device.provisioning_uri(login=account.login, issuer=settings.SEUIL_PORTAL_NAME)
    key = device.key
    context = {
        "form": form,
        "qr": segno.make(uri, error="m").svg_inline(scale=4, title=_("Code QR à scanner")),
        "key": " ".join(key[i : i + 4] for i in range(0, len(key), 4)),
        "next": _next(request),
    }
    return render(request, "mfa/totp_enrol.html", context)


def _after_first_factor(request: HttpRequest, account: Account) -> HttpResponse:
    """A first factor gets its ten recovery codes, shown once."""
    if RecoveryCode.objects.filter(account=account).exists():
        messages.success(request, _("Le second facteur est ajouté."))
        return redirect(_next(request) or "mfa:security")
    codes = services.renew_codes(account=account, ip=client_ip(request))
    return render(request, "mfa/codes.html", {"codes": codes, "next": _next(request)})


@factor_first
@require_POST
def totp_remove(request: HttpRequest) -> HttpResponse:
    services.remove_totp(account=_account(request), ip=client_ip(request))
    messages.success(request, _("L'application d'authentification est retirée."))
    return redirect("mfa:security")


@factor_first
@require_POST
@never_cache
def codes_renew(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    if not has_factor(account):
        return redirect("mfa:security")
    codes = services.renew_codes(account=account, ip=client_ip(request))
    return render(request, "mfa/codes.html", {"codes": codes, "next": ""})
