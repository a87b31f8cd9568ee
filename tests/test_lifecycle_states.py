"""The daily job finds accounts by the state the database computes: it must be the state Python
computes, for any dates, activation, lock and purge."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seuil.accounts.models import Account
from seuil.people.models import Person

days = st.integers(min_value=-800, max_value=800)


def computed_state(pk: int, day: date) -> str:
    account = Account.objects.with_computed_state(day).get(pk=pk)
    return str(account.computed_state)  # type: ignore[attr-defined]  # an annotation


@pytest.mark.django_db
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    start=days,
    length=st.one_of(st.none(), st.integers(min_value=0, max_value=900)),
    activated=st.booleans(),
    locked=st.booleans(),
    purged=st.booleans(),
    anchor=st.sampled_from(["opening", "start", "end", "closing", "anywhere"]),
    offset=st.integers(min_value=-2, max_value=2),
    anywhere=days,
)
def test_the_database_and_python_agree_on_the_state(
    start: int,
    length: int | None,
    activated: bool,
    locked: bool,
    purged: bool,
    anchor: str,
    offset: int,
    anywhere: int,
) -> None:
    origin = date(2027, 1, 1)
    person = Person(
        status="etudiant",
        external_id=f"S{Person.objects.count()}",
        first_name="Jean",
        last_name="Dupont",
        birth_date=date(2000, 1, 1),
        start_date=origin + timedelta(days=start),
        end_date=origin + timedelta(days=start + length) if length is not None else None,
    )
    person.register()
    account = person.account
    now = timezone.now()
    account.activated_at = now if activated else None
    account.locked_at = now if locked else None
    account.purged_at = now if purged else None
    account.save()
    # Near each boundary of the rules (15 days' early opening, 30 days' grace), or anywhere.
    end = start + (length if length is not None else 0)
    near = {"opening": start - 15, "start": start, "end": end, "closing": end + 30}
    day = origin + timedelta(days=near.get(anchor, anywhere) + offset)
    computed = computed_state(account.pk, day)
    assert computed == Account.objects.select_related("person").get(pk=account.pk).state_on(day)


@pytest.mark.django_db
def test_operators_are_active_and_never_transition(make_operator: Callable[..., Account]) -> None:
    operator = make_operator()
    assert operator.state_on() == "SupannActif"
    assert not Account.objects.due_transitions(timezone.localdate()).filter(pk=operator.pk).exists()


@pytest.mark.django_db
def test_they_agree_on_every_boundary_of_the_rules(make_person: Callable[..., Person]) -> None:
    """Each boundary (opening, start, end, closing) the day before, on the day and after, for
    each situation of the account: random days would seldom land on them."""
    account = make_person(start_date=date(2027, 9, 1), end_date=date(2028, 6, 30)).account
    person = account.person
    now = timezone.now()
    situations: dict[str, dict[str, Any]] = {
        "registered": {"activated_at": None, "locked_at": None, "purged_at": None},
        "activated": {"activated_at": now, "locked_at": None, "purged_at": None},
        "locked": {"activated_at": now, "locked_at": now, "purged_at": None},
        "purged": {"activated_at": None, "locked_at": None, "purged_at": now},
    }
    checked = 0
    for end in (date(2028, 6, 30), None):
        person.end_date = end
        person.save()
        boundaries = [date(2027, 8, 17), date(2027, 9, 1)] + (
            [end, end + timedelta(days=30)] if end else []
        )
        for fields in situations.values():
            Account.objects.filter(pk=account.pk).update(**fields)
            fresh = Account.objects.select_related("person").get(pk=account.pk)
            for boundary in boundaries:
                for offset in (-1, 0, 1):
                    day = boundary + timedelta(days=offset)
                    computed = computed_state(account.pk, day)
                    assert computed == fresh.state_on(day), (fields, day)
                    checked += 1
    assert checked == 72
