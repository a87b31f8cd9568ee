"""The table of mail kinds: each app declares its messages with `@kind("app.name")`.

A builder turns a queued message into a Draft. It reads, and never writes: building a message
twice (a retry) must not change anything. An app's mails module is imported by its
`AppConfig.ready()`, so the table is complete before any message is sent.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from seuil.mailer.models import OutgoingMail
    from seuil.mailer.rendering import Draft

Builder = Callable[["OutgoingMail"], "Draft"]


@dataclass(frozen=True)
class Kind:
    name: str
    build: Builder

    def __str__(self) -> str:
        return self.name


KINDS: dict[str, Kind] = {}


def kind(name: str) -> Callable[[Builder], Kind]:
    """Declare a builder under its kind's name, once."""

    def declare(build: Builder) -> Kind:
        if name in KINDS and KINDS[name].build is not build:
            raise ValueError(f"mail kind {name!r} declared twice")
        KINDS[name] = Kind(name, build)
        return KINDS[name]

    return declare
