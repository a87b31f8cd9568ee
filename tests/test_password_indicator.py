"""The green dot and the server agree: the browser's password.js and seuil.accounts.passwords give
the same criteria on every case of the shared corpus, run in Chromium."""

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from seuil.accounts import passwords
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
CORPUS = json.loads((Path(__file__).parent / "data" / "password-corpus.json").read_text())


def server(case: dict[str, Any]) -> list[str]:
    context = passwords.Context(case["login"], tuple(case["words"]), case["sesame"])
    return [u.code for u in passwords.unmet(case["password"], case["confirmation"], context)]


def browser_codes(page: Page, cases: list[dict[str, Any]]) -> list[list[str]]:
    page.set_content("<!doctype html><html><body></body></html>")
    page.add_script_tag(path=str(ROOT / "static" / "vendor" / "zxcvbn.js"))
    page.add_script_tag(path=str(ROOT / "static" / "seuil" / "password.js"))
    result: list[list[str]] = page.evaluate(
        """([policy, cases]) => cases.map(c => window.seuilPassword.evaluate(
               policy, c.password, c.confirmation,
               {login: c.login, words: c.words, sesame: c.sesame}).map(u => u.code))""",
        [
            # The list password.js otherwise fetches from the page's server.
            {
                **passwords.browser_policy(passwords.Context()),
                "common": passwords.decisive_common_passwords(),
            },
            cases,
        ],
    )
    return result


def test_the_corpus_holds_at_least_two_hundred_cases_with_both_verdicts() -> None:
    verdicts = [not server(case) for case in CORPUS]
    assert len(CORPUS) >= 200
    assert 40 <= sum(verdicts) <= len(CORPUS) - 40, "the corpus must exercise both verdicts"
    codes = {code for case in CORPUS for code in server(case)}
    assert codes == {
        "length",
        "accent",
        "special",
        "entropy",
        "common",
        "guessable",
        "personal",
        "sesame",
        "match",
    }


@pytest.mark.browser
def test_the_browser_reaches_the_servers_verdict_on_every_case(page: Page) -> None:
    in_browser = browser_codes(page, CORPUS)
    disagreements = [
        (case["password"], expected, got)
        for case, expected, got in zip(CORPUS, map(server, CORPUS), in_browser, strict=True)
        if expected != got
    ]
    assert disagreements == []


@pytest.mark.browser
@pytest.mark.parametrize(
    ("password", "verdict"),
    [(PASSWORD, True), ("azerty", False), ("Éloïse2026Kx", False), ("jdupont2026Kx", False),
     ("Lbmx4kr7TqZw8Pn", True), ("Lbmx4kr7TqZw8Pn3", False), ("V0W7Y2BGEDMNA", False)],
)  # fmt: skip
def test_known_passwords_get_the_expected_verdict_on_both_sides(
    page: Page, password: str, verdict: bool
) -> None:
    case = {"password": password, "confirmation": password, "login": "jdupont",
            "words": ["jean", "dupont"], "sesame": "V0W7-Y2BG-EDMN-A"}  # fmt: skip
    assert (not server(case)) is verdict
    assert (not browser_codes(page, [case])[0]) is verdict
