"""Reading an SP's EntityDescriptor into the fields seuil keeps beside it (ServiceProvider): its
entityID, names, entity categories, subject-id request, AuthnRequestsSigned and validUntil. One
malformed entity raises Malformed; a federation refresh skips it and keeps the others."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils.dateparse import parse_datetime
from lxml import etree

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
MDATTR = "urn:oasis:names:tc:SAML:metadata:attribute"
MDUI = "urn:oasis:names:tc:SAML:metadata:ui"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CATEGORY = "http://macedir.org/entity-category"
RESEARCH_AND_SCHOLARSHIP = "http://refeds.org/category/research-and-scholarship"
SUBJECT_ID_REQ = "urn:oasis:names:tc:SAML:profiles:subject-id:req"
SUBJECT_ID_VALUES = {"subject-id", "pairwise-id", "any", "none"}
# A parser that never fetches, never expands entities and refuses a DTD.
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


class Malformed(ValueError):
    pass


@dataclass
class Entity:
    entity_id: str
    metadata: str
    name: str
    name_en: str
    research_and_scholarship: bool
    subject_id_req: str
    authn_requests_signed: bool
    valid_until: datetime | None


def parse_document(xml: bytes) -> etree._Element:
    try:
        root = etree.fromstring(xml, PARSER)
    except etree.XMLSyntaxError as error:
        raise Malformed(f"not XML: {error}") from None
    if root.getroottree().docinfo.doctype:
        raise Malformed("a DTD is not allowed in metadata")
    return root


def _names(sp: etree._Element, entity: etree._Element) -> dict[str, str]:
    names: dict[str, str] = {}
    for element in [
        *sp.iterfind(f"{{{MD}}}Extensions/{{{MDUI}}}UIInfo/{{{MDUI}}}DisplayName"),
        *entity.iterfind(f"{{{MD}}}Organization/{{{MD}}}OrganizationDisplayName"),
    ]:
        language = (element.get(XML_LANG) or "en").split("-")[0]
        names.setdefault(language, (element.text or "").strip()[:200])
    return names


def _entity_attributes(entity: etree._Element) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    path = f"{{{MD}}}Extensions/{{{MDATTR}}}EntityAttributes/{{{SAML}}}Attribute"
    for attribute in entity.iterfind(path):
        values = {
            (value.text or "").strip() for value in attribute.iterfind(f"{{{SAML}}}AttributeValue")
        }
        found.setdefault(attribute.get("Name", ""), set()).update(values)
    return found


def read_entity(entity: etree._Element, inherited_valid_until: datetime | None = None) -> Entity:
    """One EntityDescriptor with an SPSSODescriptor; raises Malformed."""
    if entity.tag != f"{{{MD}}}EntityDescriptor":
        raise Malformed("not an EntityDescriptor")
    entity_id = (entity.get("entityID") or "").strip()
    if not entity_id or len(entity_id) > 1024:
        raise Malformed("no entityID, or one longer than 1024 characters")
    if entity_id == settings.SEUIL_SAML_ENTITY_ID:
        raise Malformed(f"{entity_id} is seuil's own entityID")
    sp = entity.find(f"{{{MD}}}SPSSODescriptor")
    if sp is None:
        raise Malformed(f"{entity_id}: no SPSSODescriptor")
    if sp.find(f"{{{MD}}}AssertionConsumerService") is None:
        raise Malformed(f"{entity_id}: no AssertionConsumerService")
    valid_until = inherited_valid_until
    if entity.get("validUntil"):
        valid_until = parse_datetime(entity.get("validUntil", ""))
        if valid_until is None:
            raise Malformed(f"{entity_id}: unreadable validUntil")
    attributes = _entity_attributes(entity)
    requested = sorted(attributes.get(SUBJECT_ID_REQ, set()) & SUBJECT_ID_VALUES)
    names = _names(sp, entity)
    return Entity(
        entity_id=entity_id,
        metadata=etree.tostring(entity, encoding="unicode"),
        name=names.get("fr") or names.get("en") or next(iter(names.values()), ""),
        name_en=names.get("en", ""),
        research_and_scholarship=RESEARCH_AND_SCHOLARSHIP in attributes.get(CATEGORY, set()),
        subject_id_req=requested[0] if requested else "",
        authn_requests_signed=sp.get("AuthnRequestsSigned", "").strip() in {"true", "1"},
        valid_until=valid_until,
    )
