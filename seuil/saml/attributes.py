"""Which attributes an SP receives, under their urn:oid names, from the one mapping
(seuil.people.attributes). docs/saml.md holds the table and the rules.

- The institution's own services (registered with --saml-sp) receive what their claims allow.
- A federation SP tagged Research & Scholarship receives the R&S bundle.
- Any other federation SP receives the scoped affiliation, plus what an operator allowed for its
  entityID in the admin (FederationRelease).
Every SP gets a pairwise-id; subject-id only where its metadata asks for it.
"""

from typing import Any

from django.conf import settings

from seuil.people.attributes import attributes_of

# LDAP name: its urn:oid (or the OASIS 2019 identifier attributes' URN).
OID = {
    "eduPersonPrincipalName": "urn:oid:1.3.6.1.4.1.5923.1.1.1.6",
    "eduPersonAffiliation": "urn:oid:1.3.6.1.4.1.5923.1.1.1.1",
    "eduPersonPrimaryAffiliation": "urn:oid:1.3.6.1.4.1.5923.1.1.1.5",
    "eduPersonScopedAffiliation": "urn:oid:1.3.6.1.4.1.5923.1.1.1.9",
    "mail": "urn:oid:0.9.2342.19200300.100.1.3",
    "displayName": "urn:oid:2.16.840.1.113730.3.1.241",
    "givenName": "urn:oid:2.5.4.42",
    "sn": "urn:oid:2.5.4.4",
    "cn": "urn:oid:2.5.4.3",
    "uid": "urn:oid:0.9.2342.19200300.100.1.1",
    "schacHomeOrganization": "urn:oid:1.3.6.1.4.1.25178.1.2.9",
    "supannEtablissement": "urn:oid:1.3.6.1.4.1.7135.1.2.1.14",
    "pairwise-id": "urn:oasis:names:tc:SAML:attribute:pairwise-id",
    "subject-id": "urn:oasis:names:tc:SAML:attribute:subject-id",
}

# What an institution's own service receives for each of its claims (seuil.sso.models.Claim).
FROM_CLAIM = {
    "name": ["displayName", "cn"],
    "given_name": ["givenName"],
    "family_name": ["sn"],
    "preferred_username": ["uid"],
    "email": ["mail"],
    "eduperson_affiliation": ["eduPersonAffiliation", "eduPersonPrimaryAffiliation"],
    "eduperson_scoped_affiliation": ["eduPersonScopedAffiliation"],
    "eduperson_principal_name": ["eduPersonPrincipalName"],
}

# REFEDS Research & Scholarship: a shared user identifier (eppn, never reassigned), a name, mail
# and the scoped affiliation.
RESEARCH_AND_SCHOLARSHIP = [
    "eduPersonPrincipalName",
    "displayName",
    "givenName",
    "sn",
    "mail",
    "eduPersonScopedAffiliation",
]
# What any federation SP receives, beside its pairwise-id.
FEDERATION_MINIMUM = ["eduPersonScopedAffiliation"]
# What an operator may allow one federation SP (FederationRelease.attributes).
ALLOWABLE = [name for name in OID if name not in {"pairwise-id", "subject-id"}]


def names_for(
    *, claims: list[str] | None, research_and_scholarship: bool, allowed: list[str]
) -> list[str]:
    """The LDAP names an SP receives: `claims` for the institution's own services (None for a
    federation's), else the bundle or the minimum plus what an operator allowed."""
    if claims is not None:
        names = [name for claim in claims for name in FROM_CLAIM.get(claim, [])]
    elif research_and_scholarship:
        names = [*RESEARCH_AND_SCHOLARSHIP, *allowed]
    else:
        names = [*FEDERATION_MINIMUM, *allowed]
    return list(dict.fromkeys(name for name in names if name in ALLOWABLE))


def values_of(account: Any, names: list[str]) -> dict[str, list[str]]:
    """The account's values for these names; a name without a value is left out. The scoped
    values carry exactly SEUIL_EPPN_SCOPE, the scope the metadata publishes."""
    attributes = attributes_of(account) | {"schacHomeOrganization": [settings.SEUIL_EPPN_SCOPE]}
    return {name: list(attributes[name]) for name in names if attributes.get(name)}
