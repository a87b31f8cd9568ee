"""How the university names people: logins and mail addresses. docs/naming.md states the rules.

These are pure functions of the names; seuil.people.models decides against what is already taken.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from seuil.core.text import ascii_lower

RESERVED_LOGINS = frozenset(
    word
    for line in (Path(__file__).parent / "reserved-logins.txt").read_text().splitlines()
    if not line.startswith("#")
    for word in line.split()
)
MAIL_LOCAL_MAX = 64  # RFC 5321

_NOT_LOGIN = re.compile(r"[^a-z0-9]")
_NOT_LETTER = re.compile(r"[^a-z]")
_NOT_MAIL = re.compile(r"[^a-z0-9-]")
_SPACES = re.compile(r"\s+")
_HYPHENS = re.compile(r"-{2,}")
# anyascii turns ’ ‘ ʼ into ' already; backquotes and acute accents used as apostrophes too.
_APOSTROPHES = re.compile(r"['`´]")


class NamingError(ValueError):
    """A name from which no login or address can be made."""


# Both are computed twice per person of a feed (the check of the row, then the allocation), and
# namesakes share them: pure functions of the names, remembered.
@lru_cache(maxsize=65_536)
def login_base(first_name: str, last_name: str, birth_name: str = "") -> str:
    """Initial of the first name + letters and digits of the birth name (else the usage name)."""
    initial = _NOT_LETTER.sub("", ascii_lower(first_name))[:1]
    family = _NOT_LOGIN.sub("", ascii_lower(birth_name or last_name))
    if not initial:
        raise NamingError(_("le prénom ne contient aucune lettre utilisable"))
    if not family:
        raise NamingError(_("le nom ne contient aucune lettre utilisable"))
    return initial + family


def login_candidates(base: str, max_length: int) -> Iterator[str]:
    """base, base2, base3…, each cut so that the whole stays within max_length.

    A base that ends in a digit could repeat a candidate (a1+10 = a11+0): repeats are skipped. The
    series ends before the cut would take the initial away.
    """
    seen = {base[:max_length]}
    yield base[:max_length]
    number = 2
    while len(suffix := str(number)) < max_length:
        candidate = base[: max_length - len(suffix)] + suffix
        if candidate not in seen:
            seen.add(candidate)
            yield candidate
        number += 1


def mail_part(text: str) -> str:
    """One side of prenom.nom: apostrophes dropped, spaces to hyphens, hyphens kept once."""
    value = _APOSTROPHES.sub("", ascii_lower(text))
    value = _SPACES.sub("-", value.strip())
    value = _NOT_MAIL.sub("", value)
    return _HYPHENS.sub("-", value).strip("-")


@lru_cache(maxsize=65_536)
def mail_local(first_name: str, last_name: str) -> str:
    first, last = mail_part(first_name), mail_part(last_name)
    if not first:
        raise NamingError(_("le prénom ne donne aucune adresse électronique"))
    if not last:
        raise NamingError(_("le nom ne donne aucune adresse électronique"))
    return f"{first}.{last}"


def mail_candidates(local: str, domain: str) -> Iterator[str]:
    """prenom.nom@domain, prenom.nom2@domain…, each local part within RFC 5321's 64 characters."""
    yield f"{local[:MAIL_LOCAL_MAX].rstrip('.-')}@{domain}"
    number = 2
    while True:
        suffix = str(number)
        yield f"{local[: MAIL_LOCAL_MAX - len(suffix)].rstrip('.-')}{suffix}@{domain}"
        number += 1


@dataclass
class Taken:
    """Names already given, and where each homonym series was left off.

    Names are only ever added, so a series resumes where it stopped instead of walking jdupont,
    jdupont2… again for every namesake of a large import.
    """

    names: set[str]
    reserved: frozenset[str] = frozenset()
    max_length: int = 0  # of a login (SEUIL_LOGIN_MAX_LENGTH); addresses keep RFC 5321's
    _series: dict[str, Iterator[str]] = field(default_factory=dict)

    def claim(self, candidates: Iterator[str]) -> str:
        """The first free name of a series; it is taken from now on.

        A series only depends on its first candidate (the cut base): bases that share it share
        the series, however they continue.
        """
        first = next(candidates)
        series = self._series.setdefault(first, chain([first], candidates))
        free = next(
            (name for name in series if name not in self.names and name not in self.reserved), None
        )
        if free is None:
            raise NamingError(_("plus aucun identifiant libre pour ce nom"))
        self.names.add(free)
        return free
