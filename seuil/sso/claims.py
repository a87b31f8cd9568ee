"""OpenID Connect claims, derived from the one attribute mapping (seuil.people.attributes) that
the directory and CAS share, so a service sees the same person whichever way it asks.

Each claim needs its scope: the standard ones for profile and email, and for the research and
education claims a scope of the same name, as REFEDS and the national federations do.
"""

from typing import Any

from seuil.accounts.models import Account
from seuil.people.attributes import attributes_of

SCOPE_OF = {
    "name": "profile",
    "given_name": "profile",
    "family_name": "profile",
    "preferred_username": "profile",
    "email": "email",
    "email_verified": "email",
    "eduperson_affiliation": "eduperson_affiliation",
    "eduperson_scoped_affiliation": "eduperson_scoped_affiliation",
    "eduperson_principal_name": "eduperson_principal_name",
}

# claim: (LDAP attribute, whether the claim holds all the values or the first)
FROM_ATTRIBUTE = {
    "name": ("displayName", False),
    "given_name": ("givenName", False),
    "family_name": ("sn", False),
    "preferred_username": ("uid", False),
    "email": ("mail", False),
    "eduperson_affiliation": ("eduPersonAffiliation", True),
    "eduperson_scoped_affiliation": ("eduPersonScopedAffiliation", True),
    "eduperson_principal_name": ("eduPersonPrincipalName", False),
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
        attribute, many = FROM_ATTRIBUTE[claim]
        values = attributes.get(attribute)
        if values:
            claims[claim] = list(values) if many else values[0]
    return claims
