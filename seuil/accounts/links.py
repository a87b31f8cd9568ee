"""The unlock link's token: signed, salted for this use only, naming the login, the lock it lifts
(its network, or "" for the whole account, and its end as stored). It holds no secret;
seuil.accounts.unlock decides what it may still do."""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.core import signing

SALT = "seuil.accounts.unlock"


@dataclass(frozen=True)
class UnlockClaim:
    login: str
    network: str
    until: datetime


def unlock_token(*, login: str, network: str, until: datetime) -> str:
    claim = {"login": login, "network": network, "until": until.timestamp()}
    return signing.dumps(claim, salt=SALT, compress=True)


def read_unlock_token(token: str) -> UnlockClaim | None:
    """What the token says, or None if it was not made here."""
    try:
        claim = signing.loads(token, salt=SALT)
        until = datetime.fromtimestamp(float(claim["until"]), tz=UTC)
        return UnlockClaim(str(claim["login"]), str(claim["network"]), until)
    except (signing.BadSignature, KeyError, TypeError, ValueError, OverflowError, OSError):
        return None
