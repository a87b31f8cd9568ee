"""OpenID Connect claims, derived from the one attribute mapping (seuil.people.attributes) that
the directory and CAS share, so a service sees the same person whichever way it asks.

Each claim needs its scope: the standard ones for profile and email, and for the research and
education claims a scope of the same name, as REFEDS and the national federations do.
"""

from typing import Any

from seuil.accounts.models import Account
from seuil.people.attributes import PUBLISHED, attributes_of

# claim: the scope it needs, from the declaration (email_verified goes with the address).
SCOPE_OF = {item.claim: item.scope for item in PUBLISHED if item.claim} | {
    "email_verified": "email"
}


def claims_of(account: Account, allowed: list[str]) -> dict[str, Any]:
    """The claims among `allowed` that the account has a value for. The institutional address
    is seuil's own, given with the account: it is verified by construction."""
    attributes = attributes_of(account)
    claims: dict[str, Any] = {}
    for claim in allowed:
        if claim == "email_verified":
            if "mail" in attributes:
                claims[claim] = True
            continue
        item = next((item for item in PUBLISHED if item.claim == claim), None)
        values = attributes.get(item.ldap) if item else None
        if item and values:
            claims[claim] = list(values) if item.many else values[0]
    return claims
