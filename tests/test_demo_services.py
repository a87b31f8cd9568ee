"""`make run`'s demo as README tells it, in Chromium, through the real launcher (`seuil run_demo`,
what `make run` calls): activate, open Mon ENT, the OpenID Connect demo service, the CAS one,
sign out; then Ctrl-C stops all three servers."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD, free_port

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Demo:
    port: int
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def service(self, offset: int) -> str:
        return f"http://localhost:{self.port + offset}/"

    def printed(self) -> str:
        return "".join(self.lines)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    # Below the kernel's ephemeral ports: an outgoing connection of another test could take
    # one of three ports drawn from them while the demo migrates (CI saw it once).
    port = free_port(run=3)
    environment = {
        **os.environ,
        "SEUIL_ENV_FILE": "",  # never the checkout's .env
        "SEUIL_DEBUG": "true",
        "SEUIL_SECRET_KEY": "demo-test-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "SEUIL_EMAIL_BACKEND": "console",
        "SEUIL_SECURE_COOKIES": "false",
        "SEUIL_OIDC_KEY_FILE": str(ROOT / "tests" / "data" / "oidc-test-key.pem"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "SEUIL_BASE_URL": f"http://127.0.0.1:{port}",
        "PYTHONUNBUFFERED": "1",
        "LC_ALL": "C.UTF-8",  # the operator's language: French
    }
    environment.pop("SEUIL_REDIS_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "seuil", "run_demo"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    demo = Demo(port, process)
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: demo.lines.extend(process.stdout or []), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 90
        while not all(_listening(port + n) for n in range(3)):
            assert process.poll() is None, demo.printed()
            assert time.monotonic() < deadline, demo.printed()
            time.sleep(0.3)
        yield demo
    finally:
        # Ctrl-C, as in the terminal: the launcher stops every server it started.
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
        reader.join(5)
    assert [n for n in range(3) if _listening(port + n)] == [], demo.printed()
    assert "démo arrêtée : 3 serveurs" in demo.printed()


def _sign_in(page: Page, login: str) -> None:
    page.locator("#id_login").fill(login)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_the_demo_signs_in_to_its_oidc_and_cas_services_and_out(page: Page, demo: Demo) -> None:
    found = re.search(
        r"Identifiant: (\S+)\s+Mot de passe provisoire \(Sésame\): (\S+)", demo.printed()
    )
    assert found, demo.printed()
    login, sesame = found.groups()
    for offset in (1, 2):
        assert demo.service(offset) in demo.printed()

    # 1. Activate, as the letter says.
    page.goto(demo.base + "/gestion-de-compte/validation-personnel/")
    page.locator("#id_login").fill(login)
    page.locator("#id_sesame").fill(sesame)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("#id_personal_email").fill("newcomer@example.org")
    page.get_by_label("Je m'engage à respecter la charte").check()
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("heading", name="Votre compte est activé")).to_be_visible()

    # 2. Mon ENT: the two demo services are links, the others say they are examples.
    page.goto(demo.base + "/gestion-de-compte/se-connecter/")
    _sign_in(page, login)
    expect(page.get_by_role("heading", name="Mon ENT")).to_be_visible()
    expect(page.get_by_text("Exemple : ce service n'a pas d'adresse réelle.").first).to_be_visible()
    assert page.locator("a[href*='.example']").count() == 0

    # 3. The OpenID Connect service: one click, signed in, the claims it received.
    page.get_by_role("link", name="Démo OpenID Connect").click()
    page.wait_for_url(demo.service(1))
    expect(page.get_by_role("heading", name=re.compile("^Bonjour "))).to_be_visible()
    body = page.locator("body").inner_text()
    assert login in body
    assert "OpenID Connect" in body
    assert "preferred_username" in body
    assert "eduperson_affiliation" in body
    page.get_by_role("link", name="Retour à Mon ENT").click()
    expect(page.get_by_role("heading", name="Mon ENT")).to_be_visible()

    # 4. The CAS service: one click, signed in, the attributes it received; in English too.
    page.get_by_role("link", name="Démo CAS").click()
    page.wait_for_url(demo.service(2))
    expect(page.get_by_role("heading", name=re.compile("^Bonjour "))).to_be_visible()
    body = page.locator("body").inner_text()
    assert login in body
    assert "CAS 3" in body
    assert "eduPersonAffiliation" in body
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name=re.compile("^Hello "))).to_be_visible()
    expect(page.get_by_role("link", name="Back to Mon ENT")).to_be_visible()
    page.get_by_role("button", name="Français").click()

    # 5. Signing out in seuil ends the CAS service's session (single logout) and says what it
    # does for the OpenID Connect one.
    page.goto(demo.base + "/mon-ent/")
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_text("services CAS")).to_be_visible()
    expect(page.get_by_text("services OpenID Connect sont révoqués")).to_be_visible()
    asks_again = page.get_by_role("heading", name="Connexion à Démo CAS")
    for _ in range(20):  # the LogoutRequest leaves in the background
        page.goto(demo.service(2))
        if asks_again.is_visible():
            break
        time.sleep(0.25)
    assert asks_again.is_visible(), demo.printed()[-6000:]
    # The OpenID Connect service's tokens ended with the session: it reads userinfo, and says so.
    page.goto(demo.service(1))
    expect(
        page.get_by_role("heading", name="seuil ne reconnaît plus cette connexion")
    ).to_be_visible()

    # 6. Signed in again through the CAS service, then signed out from the OpenID Connect one:
    # RP-initiated logout ends seuil's session and the CAS service's too.
    page.goto(demo.service(2))
    _sign_in(page, login)
    page.wait_for_url(demo.service(2))
    page.goto(demo.service(1))  # it forgot its session: seuil's signs it in again
    expect(page.get_by_role("heading", name=re.compile("^Bonjour "))).to_be_visible()
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(re.compile(re.escape(demo.service(1)) + "au-revoir/"))
    expect(page.get_by_role("heading", name="Vous êtes déconnecté")).to_be_visible()
    page.goto(demo.base + "/mon-ent/")
    assert "/gestion-de-compte/se-connecter/" in page.url
    for _ in range(20):
        page.goto(demo.service(2))
        if asks_again.is_visible():
            break
        time.sleep(0.25)
    expect(asks_again).to_be_visible()
