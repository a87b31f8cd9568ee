"""seuil's own metadata, as RENATER's registry and eduGAIN expect an IdP's: written here element by
element rather than by pysaml2, which advertises md5 and sha1 and knows nothing of shibmd:Scope,
mdui or the REFEDS entity attributes."""

from collections.abc import Callable
from functools import cache
from pathlib import Path
from xml.etree import ElementTree as ET

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from seuil.saml.idp import AES256_GCM, RSA_OAEP, url

NS = {
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "mdattr": "urn:oasis:names:tc:SAML:metadata:attribute",
    "mdui": "urn:oasis:names:tc:SAML:metadata:ui",
    "shibmd": "urn:mace:shibboleth:metadata:1.0",
    "alg": "urn:oasis:names:tc:SAML:metadata:algsupport",
    "remd": "http://refeds.org/metadata",
    "xml": "http://www.w3.org/XML/1998/namespace",
}
for _prefix, _uri in NS.items():
    if _prefix != "xml":
        ET.register_namespace(_prefix, _uri)

REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
DIGESTS = [
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
]
SIGNATURES = [
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
]
ENCRYPTIONS = [AES256_GCM, "http://www.w3.org/2009/xmlenc11#aes128-gcm", RSA_OAEP]
ENTITY_ATTRIBUTES = {
    "http://macedir.org/entity-category-support": [
        "http://refeds.org/category/research-and-scholarship"
    ],
    "urn:oasis:names:tc:SAML:attribute:assurance-certification": ["https://refeds.org/sirtfi"],
}
SECURITY = "http://refeds.org/metadata/contactType/security"


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


def _add(parent: ET.Element, name: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, _q(name), {_key(k): v for k, v in attributes.items()})
    if text is not None:
        element.text = text
    return element


def _key(name: str) -> str:
    return _q(name.replace("__", ":")) if "__" in name else name


def certificate_body(path: str) -> str:
    """The base64 body of a PEM certificate, as <ds:X509Certificate> holds it."""
    lines = Path(path).read_text(encoding="ascii").strip().splitlines()
    return "".join(line for line in lines if not line.startswith("-----"))


def _in_both_languages(parent: ET.Element, name: str, text: Callable[[], str]) -> None:
    for language in ("fr", "en"):
        with translation.override(language):
            _add(parent, name, text(), xml__lang=language)


@cache
def document() -> bytes:
    """The IdP's EntityDescriptor, the same on every host for a given configuration."""
    root = ET.Element(_q("md:EntityDescriptor"), {"entityID": settings.SEUIL_SAML_ENTITY_ID})
    extensions = _add(root, "md:Extensions")
    entity_attributes = _add(extensions, "mdattr:EntityAttributes")
    for name, values in ENTITY_ATTRIBUTES.items():
        attribute = _add(
            entity_attributes,
            "saml:Attribute",
            Name=name,
            NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
        )
        for value in values:
            _add(attribute, "saml:AttributeValue", value)
    for algorithm in DIGESTS:
        _add(extensions, "alg:DigestMethod", Algorithm=algorithm)
    for algorithm in SIGNATURES:
        _add(extensions, "alg:SigningMethod", Algorithm=algorithm)

    idp = _add(
        root,
        "md:IDPSSODescriptor",
        protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol",
    )
    idp_extensions = _add(idp, "md:Extensions")
    _add(idp_extensions, "shibmd:Scope", settings.SEUIL_EPPN_SCOPE, regexp="false")
    ui = _add(idp_extensions, "mdui:UIInfo")
    _in_both_languages(ui, "mdui:DisplayName", lambda: settings.SEUIL_INSTITUTION_NAME)
    _in_both_languages(
        ui,
        "mdui:Description",
        lambda: (
            _("Comptes de l'ENT de %(institution)s : personnels et étudiants.")
            % {"institution": settings.SEUIL_INSTITUTION_NAME}
        ),
    )
    _in_both_languages(ui, "mdui:InformationURL", lambda: f"{settings.SEUIL_BASE_URL}/")
    if settings.SEUIL_SAML_PRIVACY_URL:
        _in_both_languages(ui, "mdui:PrivacyStatementURL", lambda: settings.SEUIL_SAML_PRIVACY_URL)
    if settings.SEUIL_SAML_LOGO_URL:
        _add(ui, "mdui:Logo", settings.SEUIL_SAML_LOGO_URL, height="80", width="80")

    files = settings.SEUIL_SAML_KEY_FILES
    for use, role in (("signing", "signing-cert"), ("encryption", "encryption-cert")):
        descriptor = _add(idp, "md:KeyDescriptor", use=use)
        data = _add(_add(descriptor, "ds:KeyInfo"), "ds:X509Data")
        _add(data, "ds:X509Certificate", certificate_body(files[role]))
        if use == "encryption":
            for algorithm in ENCRYPTIONS:
                _add(descriptor, "md:EncryptionMethod", Algorithm=algorithm)
    for binding, path in ((REDIRECT, "slo/redirect"), (POST, "slo/post")):
        _add(idp, "md:SingleLogoutService", Binding=binding, Location=url(path))
    for name_format in ("persistent", "transient"):
        _add(idp, "md:NameIDFormat", f"urn:oasis:names:tc:SAML:2.0:nameid-format:{name_format}")
    for binding, path in ((REDIRECT, "sso/redirect"), (POST, "sso/post")):
        _add(idp, "md:SingleSignOnService", Binding=binding, Location=url(path))

    organization = _add(root, "md:Organization")
    for element in ("md:OrganizationName", "md:OrganizationDisplayName"):
        _in_both_languages(organization, element, lambda: settings.SEUIL_INSTITUTION_NAME)
    _in_both_languages(organization, "md:OrganizationURL", lambda: f"{settings.SEUIL_BASE_URL}/")
    technical = _add(root, "md:ContactPerson", contactType="technical")
    _add(technical, "md:EmailAddress", f"mailto:{settings.SEUIL_SUPPORT_EMAIL}")
    security = _add(root, "md:ContactPerson", contactType="other", remd__contactType=SECURITY)
    _add(security, "md:GivenName", "Sécurité / Security")
    _add(security, "md:EmailAddress", f"mailto:{settings.SEUIL_SAML_SECURITY_CONTACT}")
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
