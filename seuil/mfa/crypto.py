"""The TOTP shared keys are stored encrypted (Fernet: AES-128-CBC with HMAC-SHA256), under a key
that is not in the database: a stolen dump, or a backup, gives no one the codes.

The key is SEUIL_MFA_KEY when it is set (several, comma-separated: the first encrypts, every one
decrypts, for rotation), else derived from SECRET_KEY and its SECRET_KEY_FALLBACKS. Each is
stretched with HKDF-SHA256 under this purpose's own label, so the derived key is never the
secret key itself nor any other key seuil derives from it."""

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PURPOSE = b"seuil.mfa.totp-key"


def _fernet_key(secret: str) -> bytes:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=PURPOSE).derive(
        secret.encode()
    )
    return base64.urlsafe_b64encode(derived)


def secrets_in_use() -> list[str]:
    """The secrets keys are derived from, the encrypting one first."""
    if settings.SEUIL_MFA_KEYS:
        return list(settings.SEUIL_MFA_KEYS)
    return [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


@functools.cache
def _cipher(secrets: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_fernet_key(secret)) for secret in secrets])


def cipher() -> MultiFernet:
    return _cipher(tuple(secrets_in_use()))


def encrypt(plain: str) -> str:
    return cipher().encrypt(plain.encode()).decode("ascii")


def decrypt(token: str) -> str | None:
    """The plain text, or None when no key in use opens it (a key was removed too early)."""
    try:
        return cipher().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        return None
