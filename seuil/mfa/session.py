"""What a session proves: the methods its person used (seuil.accounts.sessions records them),
and what the protocols say of them. The SAML and OpenID Connect apps call these."""

from collections.abc import Mapping

from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest

from seuil.accounts.sessions import METHODS, methods_used

REFEDS_MFA = "https://refeds.org/profile/mfa"
# What a password alone is, for a relying party that asks: REFEDS' single-factor profile.
REFEDS_SFA = "https://refeds.org/profile/sfa"
ACR_VALUES = [REFEDS_MFA, REFEDS_SFA]
SECOND_FACTORS = frozenset({"otp", "hwk", "swk"})


def amr_of(methods: Mapping[str, float]) -> list[str]:
    """RFC 8176's values: pwd, otp (a TOTP or a recovery code), hwk or swk (a passkey), and mfa
    when a password and a second factor were both used."""
    amr = (["pwd"] if "pwd" in methods else []) + sorted(SECOND_FACTORS & set(methods))
    if "pwd" in methods and SECOND_FACTORS & set(methods):
        amr.append("mfa")
    return amr


def is_mfa(methods: Mapping[str, float]) -> bool:
    return bool(SECOND_FACTORS & set(methods))


def acr_of(methods: Mapping[str, float]) -> str:
    return REFEDS_MFA if is_mfa(methods) else REFEDS_SFA


def satisfies_mfa(request: HttpRequest) -> bool:
    """Does this session satisfy REFEDS MFA: has its person used a second factor in it?"""
    return is_mfa(methods_used(request))


def methods_of_session(session: SessionBase) -> dict[str, float]:
    """The methods, from a session store (for a back channel that holds the session, not the
    request)."""
    used = session.get(METHODS)
    return dict(used) if isinstance(used, dict) else {}


def cas_attributes(methods: Mapping[str, float]) -> dict[str, list[str]]:
    """What CAS 3's p3 validation says of the session's authentication, as Apereo CAS names it:
    the methods (RFC 8176 values) and, after a second factor, the REFEDS MFA context class."""
    if not methods:
        return {}
    attributes = {"authenticationMethod": amr_of(methods)}
    if is_mfa(methods):
        attributes["authnContextClass"] = [REFEDS_MFA]
    return attributes
