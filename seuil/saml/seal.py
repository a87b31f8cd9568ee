"""The Response pysaml2 wrote, unsigned, made into what leaves for the SP: its assertion signed
(RSA-SHA256), then encrypted for the SP (AES-256-GCM, the key wrapped with RSA-OAEP) when its
metadata has an encryption key, then the Response signed around it.

pysaml2 would do the same in three passes over the text (parse, sign or encrypt, serialise),
each certificate written to a temporary file, and with 3DES unless told otherwise; here each
part is parsed once and serialised once, and keys are parsed once per worker (seuil.saml.crypto).
"""

from dataclasses import dataclass
from typing import Any

from lxml import etree
from saml2.samlp import Response

from seuil.saml import crypto
from seuil.saml.entities import PARSER

SAML = "urn:oasis:names:tc:SAML:2.0:assertion"


@dataclass(frozen=True)
class Sealed:
    xml: bytes
    session_index: str  # the AuthnStatement's, which a LogoutRequest to the SP names


def encryption_certificate(server: Any, entity_id: str) -> str | None:
    """The first encryption certificate of the SP's metadata (base64), or None: no encryption."""
    for _name, certificate in server.metadata.certs(entity_id, "spsso", "encryption"):
        return str(certificate)
    return None


def seal(response: Response, *, encrypt_to: str | None) -> Sealed:
    """Sign the assertion, encrypt it to `encrypt_to` (a certificate) if given, sign the
    Response; `response` loses its assertion to the result."""
    assertion = response.assertion
    if isinstance(assertion, list):
        (assertion,) = assertion
    statements = assertion.authn_statement or []
    session_index = str(statements[0].session_index or "") if statements else ""
    response.assertion = None
    key = crypto.signing_key()

    signed = etree.fromstring(assertion.to_string(), PARSER)
    crypto.sign(signed, key)
    root = etree.fromstring(response.to_string(), PARSER)
    if encrypt_to:
        wrapper = etree.SubElement(root, f"{{{SAML}}}EncryptedAssertion")
        # The assertion as a document of its own: every namespace it uses declared in it.
        plain = etree.tostring(signed, encoding="utf-8")
        wrapper.append(crypto.encrypt(root, plain, encrypt_to))
    else:
        root.append(signed)
    crypto.sign(root, key)
    return Sealed(etree.tostring(root, encoding="utf-8", xml_declaration=True), session_index)
