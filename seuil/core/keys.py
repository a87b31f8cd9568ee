"""Keyed digests that survive a rotation of the secret key.

Sésames, student codes and the lockout's counters are stored as HMACs under SECRET_KEY, so that
the database alone cannot test guesses. Rotating the key (SEUIL_SECRET_KEY, the old one moved to
SEUIL_SECRET_KEY_FALLBACKS) must not void every printed letter: what is made is made under the
current key, and what is checked is checked under the current key, then each fallback, with the
same work whichever matches, as Django's signing does with SECRET_KEY_FALLBACKS.
"""

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.debug import sensitive_variables


def secrets() -> list[str]:
    """The current key, then the fallbacks, newest first."""
    return [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]


@sensitive_variables()
def digest(salt: str, value: str, secret: str | None = None) -> str:
    """HMAC-SHA256 of `value` under `secret` (the current key by default), in hex."""
    return salted_hmac(salt, value, secret=secret, algorithm="sha256").hexdigest()


@sensitive_variables()
def digests(salt: str, value: str) -> list[str]:
    """The value's digest under each key, the current one first."""
    return [digest(salt, value, secret) for secret in secrets()]


@sensitive_variables()
def matches(salt: str, value: str, stored: str) -> bool:
    """Whether `stored` is the value's digest under any key; every key is tried, always."""
    found = False
    for candidate in digests(salt, value):
        found |= constant_time_compare(candidate, stored)
    return found
