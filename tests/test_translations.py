"""French is the source; every message has an English translation, and the catalogue is compiled."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import need

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"


def statistics(po: Path) -> str:
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stderr.strip()


@pytest.fixture
def msgfmt() -> None:
    need("gettext", shutil.which("msgfmt") is not None, "apt-get install gettext")


@pytest.mark.usefixtures("msgfmt")
def test_every_message_of_the_code_has_an_english_translation(tmp_path: Path) -> None:
    for folder in ("seuil", "templates", "locale"):
        shutil.copytree(
            ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    subprocess.run(
        [sys.executable, "-m", "seuil", "makemessages", "-l", "en", "--no-location", "-v", "0"],
        cwd=tmp_path,
        check=True,
        env={"SEUIL_SECRET_KEY": "x" * 50, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)},
    )
    report = statistics(tmp_path / "locale" / "en" / "LC_MESSAGES" / "django.po")
    assert "untranslated" not in report, report
    assert "fuzzy" not in report, report


@pytest.mark.usefixtures("msgfmt")
def test_the_compiled_catalogue_matches_the_source(tmp_path: Path) -> None:
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(PO)], check=True)
    assert compiled.read_bytes() == PO.with_suffix(".mo").read_bytes(), "run: seuil compilemessages"
