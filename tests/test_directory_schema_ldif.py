"""seuil.ldif (cn=config, Debian's default) and seuil.schema (slapd.conf) define the same
attribute types and object classes, in the same order: docs/directory.md gives the first to
`ldapadd`, the sandbox `include`s the second."""

import re
from pathlib import Path

SCHEMA = Path(__file__).resolve().parent.parent / "seuil" / "directory" / "schema"


def _normal(definition: str) -> str:
    return " ".join(definition.replace("(", " ( ").replace(")", " ) ").split())


def from_schema() -> tuple[list[str], list[str]]:
    text = "\n".join(
        line for line in (SCHEMA / "seuil.schema").read_text().splitlines()
        if not line.lstrip().startswith("#")
    )  # fmt: skip
    found = {"attributetype": [], "objectclass": []}  # type: dict[str, list[str]]
    for keyword, body in re.findall(
        r"(?im)^(attributetype|objectclass)\s+(\(.*?\))\s*$", text, re.S
    ):
        found[keyword.lower()].append(_normal(body))
    return found["attributetype"], found["objectclass"]


def from_ldif() -> tuple[list[str], list[str]]:
    lines: list[str] = []
    for line in (SCHEMA / "seuil.ldif").read_text().splitlines():
        if line.startswith(" ") and lines:
            lines[-1] += line[1:]
        elif line and not line.startswith("#"):
            lines.append(line)
    values = {"olcAttributeTypes": [], "olcObjectClasses": []}  # type: dict[str, list[str]]
    for line in lines:
        name, _, value = line.partition(": ")
        if name in values:
            values[name].append(_normal(re.sub(r"^\{\d+\}", "", value)))
    assert lines[0] == "dn: cn=seuil,cn=schema,cn=config"
    return values["olcAttributeTypes"], values["olcObjectClasses"]


def test_the_ldif_and_the_schema_define_the_same_things() -> None:
    types, classes = from_schema()
    assert len(types) >= 10
    assert len(classes) >= 2
    assert from_ldif() == (types, classes)
