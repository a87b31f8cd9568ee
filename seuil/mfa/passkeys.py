"""Passkeys (WebAuthn) with py_webauthn: discoverable credentials, user verification required,
several per account, each named. The relying party is the host of SEUIL_BASE_URL, and only
that origin is accepted.

The browser asks for options (a fresh challenge, kept in the server-side session and spent by
the answer), calls navigator.credentials, and posts the result as JSON."""

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from seuil.accounts.models import Account
from seuil.accounts.sessions import record_method
from seuil.audit.models import Action, AuditEvent
from seuil.core.http import client_ip
from seuil.mfa import services
from seuil.mfa.forms import PasskeyNameForm
from seuil.mfa.guard import factor_first
from seuil.mfa.models import Passkey
from seuil.mfa.signin import finish, pending_account
from seuil.security import throttle

if TYPE_CHECKING:
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor

# py_webauthn (and pyOpenSSL, pyasn1 under it) load with the first passkey request, not in every
# worker at start: most requests never need them (tests/test_worker_memory.py).

REGISTER, AUTHENTICATE = "seuil.mfa.webauthn.register", "seuil.mfa.webauthn.authenticate"


def rp_id() -> str:
    return urlsplit(settings.SEUIL_BASE_URL).hostname or ""


def user_handle(account: Account) -> bytes:
    """WebAuthn's user handle: opaque, never the login (authenticators may show or sync it)."""
    return salted_hmac("seuil.mfa.user-handle", str(account.pk), algorithm="sha256").digest()


def _descriptors(account: Account) -> "list[PublicKeyCredentialDescriptor]":
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor

    return [
        PublicKeyCredentialDescriptor(id=bytes(p.credential_id))
        for p in Passkey.objects.filter(account=account)
    ]


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _refused(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"ok": False, "error": message}, status=status)


def _challenge(request: HttpRequest, key: str) -> bytes | None:
    """The challenge of the options this session was given, spent: one answer per challenge."""
    from webauthn import base64url_to_bytes

    value = request.session.pop(key, None)
    try:
        return base64url_to_bytes(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _account(request: HttpRequest) -> Account:
    assert isinstance(request.user, Account)  # noqa: S101 -- LoginRequiredMiddleware
    return request.user


@factor_first
@require_POST
@never_cache
def register_options(request: HttpRequest) -> HttpResponse:
    from webauthn import generate_registration_options, options_to_json
    from webauthn.helpers import bytes_to_base64url
    from webauthn.helpers.structs import (
        AuthenticatorSelectionCriteria,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    account = _account(request)
    options = generate_registration_options(
        rp_id=rp_id(),
        rp_name=settings.SEUIL_PORTAL_NAME,
        user_id=user_handle(account),
        user_name=account.login,
        user_display_name=account.login,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=_descriptors(account),
    )
    request.session[REGISTER] = bytes_to_base64url(options.challenge)
    return HttpResponse(options_to_json(options), content_type="application/json")


@factor_first
@require_POST
@never_cache
def register(request: HttpRequest) -> HttpResponse:
    """The new credential, checked (challenge, origin, RP ID, user verification), then named."""
    from webauthn import verify_registration_response
    from webauthn.helpers.exceptions import WebAuthnException

    account = _account(request)
    data = _body(request)
    form = PasskeyNameForm({"name": data.get("name", "")})
    if not form.is_valid():
        return _refused(_("Donnez un nom à la clé d'accès (60 caractères au plus)."))
    challenge = _challenge(request, REGISTER)
    if challenge is None:
        return _refused(_("La demande a expiré : recommencez."))
    try:
        verified = verify_registration_response(
            credential=data.get("credential") or {},
            expected_challenge=challenge,
            expected_rp_id=rp_id(),
            expected_origin=settings.SEUIL_BASE_URL,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError):
        return _refused(_("La clé d'accès n'a pas pu être vérifiée : recommencez."))
    if Passkey.objects.filter(credential_id=verified.credential_id).exists():
        return _refused(_("Cette clé d'accès est déjà enregistrée."))
    transports = data.get("credential", {}).get("response", {}).get("transports") or []
    passkey = Passkey(
        name=form.cleaned_data["name"],
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[t for t in transports if isinstance(t, str)][:8],
        backed_up=verified.credential_backed_up,
    )
    services.add_passkey(account=account, passkey=passkey, ip=client_ip(request))
    record_method(request, passkey.method)  # creating it with user verification is a use
    return JsonResponse({"ok": True})


@factor_first
@require_POST
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    if services.remove_passkey(account=_account(request), passkey_id=pk, ip=client_ip(request)):
        messages.success(request, _("La clé d'accès est retirée."))
    return redirect("mfa:security")


def _who(request: HttpRequest) -> Account | None:
    pending = pending_account(request)
    if pending is not None:
        return pending[0]
    if isinstance(request.user, Account) and request.user.is_authenticated:
        return request.user
    return None


@login_not_required
@require_POST
@never_cache
def sign_in_options(request: HttpRequest) -> HttpResponse:
    from webauthn import generate_authentication_options, options_to_json
    from webauthn.helpers import bytes_to_base64url
    from webauthn.helpers.structs import UserVerificationRequirement

    account = _who(request)
    if account is None:
        return _refused(_("Reconnectez-vous."), 403)
    options = generate_authentication_options(
        rp_id=rp_id(),
        allow_credentials=_descriptors(account),
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    request.session[AUTHENTICATE] = bytes_to_base64url(options.challenge)
    return HttpResponse(options_to_json(options), content_type="application/json")


@login_not_required
@require_POST
@never_cache
def sign_in(request: HttpRequest) -> HttpResponse:
    """The assertion, for the pending sign-in or a step-up. A refused one counts in the
    lockout, like a wrong code."""
    account = _who(request)
    if account is None:
        return _refused(_("Reconnectez-vous."), 403)
    credential = _body(request).get("credential") or {}
    challenge = _challenge(request, AUTHENTICATE)
    passkey = check_assertion(
        account=account, credential=credential, challenge=challenge, ip=client_ip(request)
    )
    if passkey is None:
        return _refused(_("La clé d'accès n'a pas été acceptée."))
    AuditEvent.record(Action.MFA_PASSKEY, account=account, ip=client_ip(request), name=passkey.name)
    target = finish(request, account, passkey.method)
    return JsonResponse({"ok": True, "next": target})


def check_assertion(
    *, account: Account, credential: object, challenge: bytes | None, ip: str
) -> Passkey | None:
    """An assertion under the lockout: a refused one counts like a wrong password."""

    def check() -> Passkey | None:
        if challenge is None or not isinstance(credential, dict):
            return None
        return verify_assertion(account=account, credential=credential, challenge=challenge)

    return throttle.attempt(account.login, check, action=Action.MFA_PASSKEY, ip=ip)


def verify_assertion(
    *, account: Account, credential: dict[str, Any], challenge: bytes
) -> Passkey | None:
    """The passkey that signed this challenge, with user verification, for this account; its
    signature counter moves on atomically (a cloned authenticator's replay fails)."""
    from webauthn import base64url_to_bytes, verify_authentication_response
    from webauthn.helpers.exceptions import WebAuthnException

    try:
        raw_id = base64url_to_bytes(str(credential.get("rawId") or credential.get("id") or ""))
    except ValueError:
        return None
    passkey = Passkey.objects.filter(account=account, credential_id=raw_id).first()
    if passkey is None:
        return None
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id(),
            expected_origin=settings.SEUIL_BASE_URL,
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError):
        return None
    with transaction.atomic():
        moved = Passkey.objects.filter(pk=passkey.pk, sign_count=passkey.sign_count).update(
            sign_count=verified.new_sign_count,
            backed_up=verified.credential_backed_up,
            last_used_at=timezone.now(),
        )
    if moved != 1:
        return None
    passkey.backed_up = verified.credential_backed_up
    return passkey
