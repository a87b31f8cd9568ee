"""The options of `seuil register_service` that apps above the registry add, without the
registry importing them (CAS today; SAML and the second factor next).

An app adds its own in its `AppConfig.ready()`:

    add_service_options(ServiceOptions(arguments=add_my_arguments, apply=apply_my_options))

`arguments(parser)` adds its options to the command. `apply(service, options)` runs inside the
command's transaction, once the service is saved, with every parsed option by its `dest`; it
raises ValidationError to write nothing, and returns a few words for the summary line ("" for
none). An option the operator left out is None, and `apply` then keeps what is there.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.management.base import CommandParser

if TYPE_CHECKING:
    from seuil.sso.models import Service


@dataclass(frozen=True)
class ServiceOptions:
    arguments: Callable[[CommandParser], None]
    apply: Callable[["Service", dict[str, Any]], str]


_options: list[ServiceOptions] = []


def add_service_options(options: ServiceOptions) -> ServiceOptions:
    """Register an app's options; registering the same twice is harmless."""
    if options not in _options:
        _options.append(options)
    return options


def service_options() -> list[ServiceOptions]:
    return list(_options)
