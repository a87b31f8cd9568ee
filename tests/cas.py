"""What the CAS tests share: a service registered for CAS, as `register_service` would."""

from seuil.cas.models import CasService, Kind
from seuil.sso.models import Service


def register_cas(
    name: str,
    prefix: str,
    *,
    statuses: tuple[str, ...] = ("administratif", "enseignant-chercheur"),
    kind: str = Kind.SERVICE,
) -> Service:
    service = Service.objects.register(
        name=name, url=prefix, theme="scolarite", statuses=list(statuses)
    ).service
    CasService.objects.replace_for(service, kind=kind, prefixes=[prefix])
    return service
