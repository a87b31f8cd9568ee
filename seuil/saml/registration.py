"""The SAML option of `seuil register_service`: the institution's own SAML SPs, by their
metadata (a file or an https:// URL)."""

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from django.core.exceptions import ValidationError
from django.core.management.base import CommandParser

from seuil.saml.entities import MD, Malformed, parse_document, read_entity
from seuil.saml.models import ServiceProvider
from seuil.sso.models import Service
from seuil.sso.registration import ServiceOptions

MAX_METADATA = 1024 * 1024


def _arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--saml-sp",
        dest="saml_sps",
        action="append",
        metavar="METADATA-FILE-OR-URL",
        help="a SAML SP of this service, by its metadata (repeatable; replaces the previous ones)",
    )


def read_metadata(source: str) -> bytes:
    """The metadata at an https:// URL or in a file; raises ValidationError."""
    try:
        if urlsplit(source).scheme in {"https", "http"}:
            response = requests.get(source, timeout=20)
            response.raise_for_status()
            content = response.content
        else:
            content = Path(source).read_bytes()
    except (OSError, requests.RequestException) as error:
        raise ValidationError(f"{source}: {error}") from None
    if len(content) > MAX_METADATA:
        raise ValidationError(f"{source}: more than 1 MiB of metadata for one service")
    return content


def _apply(service: Service, options: dict[str, Any]) -> str:
    sources = options.get("saml_sps")
    if sources is not None:
        kept = []
        for source in sources:
            try:
                root = parse_document(read_metadata(source))
                if root.tag == f"{{{MD}}}EntitiesDescriptor":
                    found = root.findall(f"{{{MD}}}EntityDescriptor")
                    if len(found) != 1:
                        raise Malformed("give one service provider's EntityDescriptor")
                    root = found[0]
                entity = read_entity(root)
            except Malformed as error:
                raise ValidationError(f"{source}: {error}") from None
            taken = ServiceProvider.objects.filter(entity_id=entity.entity_id).exclude(
                service=service
            )
            if taken.filter(service__isnull=False).exists():
                raise ValidationError(f"{entity.entity_id}: already registered for another service")
            kept.append(ServiceProvider.objects.save_entity(entity, service=service).entity_id)
        service.saml_sps.exclude(entity_id__in=kept).delete()
    count = service.saml_sps.count()
    return f"{count} SAML SP{'s' if count > 1 else ''}" if count else ""


SAML_OPTIONS = ServiceOptions(arguments=_arguments, apply=_apply)
