"""The unlock link's token: signed, salted for this use only, naming the login, the end of the
lock it lifts and when it was made. It holds no secret; seuil.accounts.unlock decides what it may
still do."""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.core import signing
from django.utils import timezone

SALT = "seuil.accounts.unlock"


@dataclass(frozen=True)
class UnlockClaim:
    login: str
    until: datetime
    made: datetime


def unlock_token(*, login: str, until: datetime) -> str:
    claim = {"login": login, "until": until.timestamp(), "made": timezone.now().timestamp()}
    return signing.dumps(claim, salt=SALT, compress=True)


def read_unlock_token(token: str) -> UnlockClaim | None:
    """What the token says, or None if it was not made here."""
    try:
        claim = signing.loads(token, salt=SALT)
        return UnlockClaim(
            str(claim["login"]),
            datetime.fromtimestamp(float(claim["until"]), tz=UTC),
            datetime.fromtimestamp(float(claim["made"]), tz=UTC),
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError, OverflowError, OSError):
        return None
