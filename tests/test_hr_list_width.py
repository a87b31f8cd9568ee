"""At 1280 px, HR's people list shows the account's state and end date without scrolling
sideways (Chromium), with the filters beside it."""

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Page

from seuil.accounts.models import Account
from seuil.people.models import Person
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_state_and_end_date_fit_at_1280_px(
    page: Page,
    live_server: Any,
    make_person: Callable[..., Person],
    make_operator: Callable[..., Account],
) -> None:
    officer = make_operator("hr", login="rh-test")
    # Long names and the longest state ("créé, en attente d'activation").
    make_person(first_name="Marie-Charlotte", last_name="de La Tour-Montgolfier-Saint-Exupéry",
                status="enseignant-chercheur", end_date=date(2031, 8, 31))  # fmt: skip
    make_person(
        first_name="Jean", last_name="Dupont", end_date=date(2027, 8, 31), password=PASSWORD
    )
    page.set_viewport_size({"width": 1280, "height": 800})
    # Signed in with both factors (conftest's force_login): the sign-in itself is tested elsewhere.
    client = Client()
    client.force_login(officer)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(live_server.url + "/admin/people/person/")
    page.wait_for_url("**/admin/people/person/")
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for column in ("column-state", "column-end_date"):
        box = page.locator(f"th.{column}").bounding_box()
        assert box is not None, column
        assert box["x"] + box["width"] <= width, column
    scroller = page.evaluate(
        "(() => { const t = document.querySelector('#result_list');"
        " const s = t.closest('.results') || t.parentElement;"
        " return [s.scrollWidth, s.clientWidth]; })()"
    )
    assert scroller[0] <= scroller[1], "the table itself does not scroll sideways"
