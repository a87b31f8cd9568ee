"""HR's September: the people list filtered by account state and start date, and "select all"
selecting only what the filter shows."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django.utils.html import escape

from seuil.accounts.states import Substate
from seuil.people.models import Person
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
LIST = "/admin/people/person/"


@pytest.fixture
def september(make_person: Callable[..., Person]) -> dict[str, Person]:
    first = timezone.localdate() + timedelta(days=20)
    later = first + timedelta(days=30)
    return {
        "newcomer": make_person(first_name="Anne", last_name="Neuve", start_date=first),
        "other newcomer": make_person(first_name="Paul", last_name="Neuf", start_date=first),
        "activated": make_person(
            first_name="Léa", last_name="Active", start_date=first, password=PASSWORD
        ),
        "later": make_person(first_name="Zoé", last_name="Tard", start_date=later),
        "long here": make_person(
            first_name="Marc",
            last_name="Ancien",
            start_date=first - timedelta(days=900),
            password=PASSWORD,
        ),
    }


def slug(state: str) -> str:
    return state.removeprefix("Supann").lower()


def shown(response: Any) -> set[str]:
    return {person.last_name for person in response.context["cl"].result_list}


def test_the_list_filters_by_state_computed_like_the_column(
    hr: Any, september: dict[str, Person]
) -> None:
    for person in september.values():
        state = person.account.state_on()
        response = hr.get(LIST, {"etat": slug(state)})
        assert person.last_name in shown(response), state
        assert all(p.account.state_on() == state for p in response.context["cl"].result_list)
    page = hr.get(LIST).content.decode()
    for label in Substate.labels:
        assert escape(str(label).capitalize()) in page
    assert "Supann" not in page


def test_newcomers_of_one_start_date_without_an_account_are_two_clicks(
    hr: Any, september: dict[str, Person]
) -> None:
    newcomer = september["newcomer"]
    day = newcomer.start_date
    page = hr.get(LIST).content.decode()
    assert f"?debut={day.isoformat()}" in page, "the start date is offered"
    not_activated = slug(newcomer.account.state_on())
    assert not_activated != slug(september["activated"].account.state_on())
    response = hr.get(LIST, {"debut": day.isoformat(), "etat": not_activated})
    assert shown(response) == {"Neuve", "Neuf"}


def test_select_all_selects_only_what_the_filter_shows(
    hr: Any, september: dict[str, Person]
) -> None:
    newcomer = september["newcomer"]
    query = f"?debut={newcomer.start_date.isoformat()}&etat={slug(newcomer.account.state_on())}"
    response = hr.post(
        LIST + query,
        {
            "action": "issue_sesames",
            "select_across": "1",
            "index": "0",
            "_selected_action": [newcomer.pk],
        },
    )
    assert response.status_code == 200
    assert {p.last_name for p in response.context["people"]} == {"Neuve", "Neuf"}


def test_a_malformed_filter_value_lists_everyone(hr: Any, september: dict[str, Person]) -> None:
    for query in ({"debut": "1er septembre"}, {"etat": "Supann<script>"}):
        response = hr.get(LIST, query)
        assert response.status_code == 200
        assert len(shown(response)) == len(september)
