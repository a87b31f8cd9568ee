"""Refreshing a federation's SPs from its signed aggregate (`seuil saml_metadata`, hourly).

An aggregate is used only when its signature, by the certificate SEUIL_SAML_FEDERATIONS names,
covers the whole document, and its validUntil lies between now and 28 days ahead. Otherwise, or
when the download fails, the SPs of the last good copy stay as they are and the failure is
recorded for `seuil check`. One malformed entity is skipped and reported; the others are stored.
"""

import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import requests
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from lxml import etree

from seuil.saml.entities import MD, Entity, Malformed, parse_document, read_entity
from seuil.saml.models import Federation, ServiceProvider

DSIG = "http://www.w3.org/2000/09/xmldsig#"
LONGEST_VALIDITY = timedelta(days=28)
MAX_AGGREGATE = 512 * 1024 * 1024
XMLSEC = "/usr/bin/xmlsec1"


class Refused(Exception):
    pass


@dataclass
class Outcome:
    name: str
    stored: int = 0
    removed: int = 0
    skipped: list[str] = field(default_factory=list)
    error: str = ""


def download(url: str) -> bytes:
    if url.startswith("file://"):
        return Path(url.removeprefix("file://")).read_bytes()
    with requests.get(url, timeout=120, stream=True) as response:
        response.raise_for_status()
        content = response.raw.read(MAX_AGGREGATE + 1, decode_content=True)
    if len(content) > MAX_AGGREGATE:
        raise Refused("larger than 512 MiB")
    return bytes(content)


def verify(xml: bytes, certificate: str) -> etree._Element:
    """The aggregate's root, once its one enveloped signature, covering the root, is verified
    with `certificate` by xmlsec1; raises Refused."""
    try:
        root = parse_document(xml)
    except Malformed as error:
        raise Refused(str(error)) from None
    if root.tag != f"{{{MD}}}EntitiesDescriptor":
        raise Refused("not an EntitiesDescriptor")
    signatures = root.findall(f"{{{DSIG}}}Signature")
    references = root.findall(f"{{{DSIG}}}Signature/{{{DSIG}}}SignedInfo/{{{DSIG}}}Reference")
    root_id = root.get("ID")
    # Against signature wrapping: one signature, a child of the root, over the root itself.
    if len(signatures) != 1 or len(references) != 1:
        raise Refused("not signed, or signed more than once")
    if references[0].get("URI") not in {"", f"#{root_id}"} or (
        references[0].get("URI") and not root_id
    ):
        raise Refused("the signature does not cover the whole aggregate")
    with tempfile.NamedTemporaryFile(suffix=".xml") as file:
        file.write(xml)
        file.flush()
        result = subprocess.run(  # noqa: S603 - fixed binary, our own arguments
            [
                XMLSEC,
                "--verify",
                "--enabled-reference-uris",
                "empty,same-doc",
                "--pubkey-cert-pem",
                certificate,
                "--id-attr:ID",
                "urn:oasis:names:tc:SAML:2.0:metadata:EntitiesDescriptor",
                file.name,
            ],
            capture_output=True,
            timeout=300,
            check=False,
        )
    if result.returncode != 0:
        raise Refused("its signature is not the federation's (xmlsec1 refused it)")
    return root


def valid_until(root: etree._Element, now: datetime) -> datetime:
    value = parse_datetime(root.get("validUntil") or "")
    if value is None:
        raise Refused("no validUntil")
    if value <= now:
        raise Refused(f"expired: validUntil {value.isoformat()}")
    if value > now + LONGEST_VALIDITY:
        raise Refused(f"validUntil {value.isoformat()} is more than 28 days ahead")
    return value


def entities_of(root: etree._Element, until: datetime) -> tuple[list[Entity], list[str]]:
    """The SPs of the aggregate, and what was skipped, with why (IdPs are not skipped: they are
    simply not SPs)."""
    entities: dict[str, Entity] = {}
    skipped: list[str] = []
    for element in root.iter(f"{{{MD}}}EntityDescriptor"):
        if element.find(f"{{{MD}}}SPSSODescriptor") is None:
            continue
        try:
            entity = read_entity(element, until)
        except Malformed as error:
            skipped.append(str(error)[:300])
            continue
        if entity.valid_until and entity.valid_until > until:
            entity.valid_until = until
        entities[entity.entity_id] = entity
    return list(entities.values()), skipped


@transaction.atomic
def store(federation: Federation, entities: list[Entity]) -> tuple[int, int]:
    """The federation's SPs become these: new ones added, changed ones updated, gone ones
    removed; an entityID registered for one of the institution's services stays the service's."""
    started = timezone.now()
    local = set(
        ServiceProvider.objects.filter(service__isnull=False).values_list("entity_id", flat=True)
    )
    rows = [
        ServiceProvider(
            entity_id=entity.entity_id,
            metadata=entity.metadata,
            name=entity.name,
            name_en=entity.name_en,
            research_and_scholarship=entity.research_and_scholarship,
            subject_id_req=entity.subject_id_req,
            authn_requests_signed=entity.authn_requests_signed,
            valid_until=entity.valid_until,
            federation=federation,
        )
        for entity in entities
        if entity.entity_id not in local
    ]
    fields = [
        "metadata",
        "name",
        "name_en",
        "research_and_scholarship",
        "subject_id_req",
        "authn_requests_signed",
        "valid_until",
        "federation",
        "updated_at",
    ]
    ServiceProvider.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["entity_id"],
        update_fields=fields,
    )
    # Every row of this aggregate was just written: older ones have left the federation.
    removed, _ = federation.sps.filter(updated_at__lt=started).delete()
    return len(rows), removed


def refresh(name: str, url: str, certificate: str, *, dry_run: bool = False) -> Outcome:
    """One federation's refresh; never raises for the aggregate's faults."""
    federation, _ = Federation.objects.get_or_create(name=name, defaults={"url": url})
    outcome = Outcome(name)
    now = timezone.now()
    try:
        root = verify(download(url), certificate)
        until = valid_until(root, now)
        entities, outcome.skipped = entities_of(root, until)
    except (Refused, OSError, requests.RequestException, subprocess.SubprocessError) as error:
        outcome.error = str(error)[:500] or error.__class__.__name__
        if not dry_run:
            Federation.objects.filter(pk=federation.pk).update(
                url=url, attempted_at=now, error=outcome.error
            )
        return outcome
    if dry_run:
        outcome.stored = len(entities)
        return outcome
    outcome.stored, outcome.removed = store(federation, entities)
    Federation.objects.filter(pk=federation.pk).update(
        url=url,
        attempted_at=now,
        refreshed_at=now,
        valid_until=until,
        error="",
        entities=outcome.stored,
        skipped=outcome.skipped[:100],
    )
    return outcome
