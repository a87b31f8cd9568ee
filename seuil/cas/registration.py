"""The CAS options of `seuil register_service`: the URL prefixes that may receive tickets."""

from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import ngettext

from seuil.cas.models import CasService, Kind
from seuil.sso.models import Service
from seuil.sso.registration import ServiceOptions


def _arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--cas-service",
        dest="cas_services",
        action="append",
        metavar="URL-PREFIX",
        help="URLs under it may receive CAS tickets (repeatable; replaces the previous ones)",
    )
    parser.add_argument(
        "--cas-proxy-callback",
        dest="cas_callbacks",
        action="append",
        metavar="URL-PREFIX",
        help="a pgtUrl under it may receive proxy-granting tickets (repeatable; replaces)",
    )


def _apply(service: Service, options: dict[str, Any]) -> str:
    for kind, prefixes in [
        (Kind.SERVICE, options.get("cas_services")),
        (Kind.PROXY_CALLBACK, options.get("cas_callbacks")),
    ]:
        if prefixes is not None:
            CasService.objects.replace_for(service, kind=kind, prefixes=prefixes)
    count = service.cas_prefixes.filter(kind=Kind.SERVICE).count()
    if not count:
        return ""
    return ngettext("%(count)d préfixe CAS", "%(count)d préfixes CAS", count) % {"count": count}


CAS_OPTIONS = ServiceOptions(arguments=_arguments, apply=_apply)
