"""The apps stand in layers: each imports only its own layer and those below, and no two apps
import each other, directly or through others. docs/architecture.md explains the order.

A new app adds one line to LAYERS, at the level of what it imports."""

import ast
import re
import tomllib
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

SEUIL = Path(__file__).resolve().parent.parent / "seuil"
ARCHITECTURE = SEUIL.parent / "docs" / "architecture.md"

# Lowest first. An app may import any app of its level or below.
LAYERS: dict[str, int] = {
    "core": 0,  # shapes and helpers: the queue, hooks, bulk inserts, text, the client's address
    "typography": 0,  # seuil/typography.py: French spacing, for pages and mails
    "formats": 0,  # Django's date formats per language (FORMAT_MODULE_PATH)
    "audit": 1,
    "security": 1,
    "mailer": 1,
    "accounts": 2,
    "people": 3,
    "mfa": 3,  # second factors: on accounts, below the protocols that carry them
    "activation": 4,
    "recovery": 4,
    "lifecycle": 4,
    "directory": 5,  # LDAP provisioning
    "sso": 5,  # the service registry, and OpenID Connect through django-oauth-toolkit
    "cas": 5,
    "saml": 5,  # SAML 2.0 identity provider (pysaml2)
    "portal": 6,
    "demo": 7,
}
# The project's own modules (settings, urls, the command line) sit above every app.
PROJECT = 99


def level_of(app: str) -> int:
    if app in LAYERS:
        return LAYERS[app]
    if (SEUIL / f"{app}.py").exists():  # settings, urls, the command line
        return PROJECT
    raise KeyError(f"give seuil.{app} a level in LAYERS (tests/test_layers.py)")


def imports(root: Path = SEUIL) -> Iterator[tuple[str, str, Path, int]]:
    """(importing app, imported app, file, line) for every import of seuil, even in a function."""
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if "migrations" in parts:
            continue
        app = parts[0].removesuffix(".py")
        package = ["seuil", *parts[:-1]]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                if node.level:  # relative: resolve against the file's package
                    base = package[: len(package) - node.level + 1]
                    names = [".".join([*base, node.module] if node.module else base)]
                elif node.module:
                    names = [node.module]
                if names == ["seuil"]:  # from seuil import accounts
                    names = [f"seuil.{alias.name}" for alias in node.names]
            for name in names:
                parts_of = name.split(".")
                if parts_of[0] == "seuil" and len(parts_of) > 1 and parts_of[1] != app:
                    yield app, parts_of[1], path, node.lineno


def upward(root: Path = SEUIL) -> list[str]:
    return [
        f"{path.relative_to(root.parent)}:{line}: {app} (level {level_of(app)}) imports "
        f"{target} (level {level_of(target)})"
        for app, target, path, line in imports(root)
        if level_of(target) > level_of(app)
    ]


def cycles(root: Path = SEUIL) -> list[list[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for app, target, _path, _line in imports(root):
        graph[app].add(target)
    found: list[list[str]] = []

    def walk(app: str, path: list[str]) -> None:
        for target in sorted(graph[app]):
            if target == path[0]:
                found.append([*path, target])
            elif target not in path and target > path[0]:  # each cycle once, from its least app
                walk(target, [*path, target])

    for app in sorted(graph):
        walk(app, [app])
    return found


def test_every_app_has_a_layer() -> None:
    apps = {p.name for p in SEUIL.iterdir() if (p / "__init__.py").exists()}
    missing = sorted(apps - set(LAYERS))
    assert missing == [], f"give {missing} a level in LAYERS (tests/test_layers.py)"


def test_every_layer_is_an_app_or_module_of_seuil() -> None:
    """The table is the code's: no level for an app that does not exist."""
    ghosts = sorted(
        app for app in LAYERS if not (SEUIL / app / "__init__.py").exists()
        and not (SEUIL / f"{app}.py").exists()
    )  # fmt: skip
    assert ghosts == [], f"{ghosts} have a level in LAYERS but are not in seuil/"


def test_docs_architecture_draws_the_same_layers() -> None:
    drawn: dict[str, int] = {}
    for line in ARCHITECTURE.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].isdigit():
            for app in re.findall(r"`([a-z_]+)`", cells[1]):
                drawn[app] = int(cells[0])
    assert drawn == LAYERS, "docs/architecture.md's table of layers differs from LAYERS"


def test_the_sandbox_is_not_shipped_and_nothing_shipped_needs_it() -> None:
    """seuil/directory/sandbox.py, a throwaway slapd for the tests and `make directory`, is left
    out of the wheel; so no module of the wheel may import it."""
    wheel = tomllib.loads((SEUIL.parent / "pyproject.toml").read_text())["tool"]["hatch"]
    assert "seuil/directory/sandbox.py" in wheel["build"]["targets"]["wheel"]["exclude"]
    users = [
        f"{path.relative_to(SEUIL.parent)}:{line}"
        for path in sorted(SEUIL.rglob("*.py"))
        if path.name != "sandbox.py"
        for line, name in _imported_names(path)
        if name.startswith("seuil.directory.sandbox")
    ]
    assert users == []


def _imported_names(path: Path) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.lineno, node.module
            yield from ((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)


def test_no_app_imports_a_layer_above_it() -> None:
    found = upward()
    assert not found, "upward imports:\n" + "\n".join(found)


def test_no_two_apps_import_each_other() -> None:
    found = cycles()
    assert not found, "import cycles:\n" + "\n".join(" → ".join(cycle) for cycle in found)


def test_the_walk_finds_an_upward_import_and_a_cycle(tmp_path: Path) -> None:
    root = tmp_path / "seuil"
    for app, source in {
        "accounts": "from seuil.people.models import Person\n",
        "people": "def f() -> None:\n    from seuil import accounts\n",
        "core": "from . import queue\n",
    }.items():
        (root / app).mkdir(parents=True)
        (root / app / "__init__.py").write_text("")
        (root / app / "models.py").write_text(source)
    assert upward(root) == [
        "seuil/accounts/models.py:1: accounts (level 2) imports people (level 3)"
    ]
    assert cycles(root) == [["accounts", "people", "accounts"]]
