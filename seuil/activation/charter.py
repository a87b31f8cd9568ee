"""The usage charter: a text file (SEUIL_CHARTER_FILE) whose header gives its version and title.

    Version: 2026-09
    Titre: Charte d'utilisation de l'environnement numérique de travail

    ## 1. A heading
    A paragraph, one per line.

The version is what an acceptance records, so a new text must come with a new version.
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Block:
    heading: bool
    text: str


@dataclass(frozen=True)
class Charter:
    version: str
    title: str
    blocks: tuple[Block, ...]
    language: str = "fr"


def charter_in(language: str, path: Path) -> Charter:
    """The charter in a language: its translation next to it (charte.en.txt for charte.txt, same
    version), else the French text, which is the one accepted."""
    original = load_charter(path)
    translated = path.with_name(f"{path.stem}.{language}{path.suffix}")
    if language != "fr" and translated.is_file():
        translation = load_charter(translated, language)
        if translation.version == original.version:  # a stale translation is never shown
            return translation
    return original


@cache
def load_charter(path: Path, language: str = "fr") -> Charter:
    header: dict[str, str] = {}
    blocks: list[Block] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        key, _, value = line.partition(":")
        if not blocks and key.lower() in {"version", "titre", "title"} and value.strip():
            header["title" if key.lower() == "titre" else key.lower()] = value.strip()
        elif line.startswith("## "):
            blocks.append(Block(True, line[3:]))
        else:
            blocks.append(Block(False, line))
    if "version" not in header or not blocks:
        raise ImproperlyConfigured(f"{path}: a charter starts with 'Version: …' and has a text")
    return Charter(header["version"], header.get("title", ""), tuple(blocks), language)
