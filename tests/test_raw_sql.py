"""The two writes that bypass the ORM for speed build their SQL from the models' fields: a field
added to the model is written, or read back, like the others. These tests fail when it is not."""

from collections.abc import Callable
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from seuil.accounts.models import AccountChange
from seuil.cas.models import NOT_RETURNED, ServiceTicket
from seuil.people.models import Person

pytestmark = pytest.mark.django_db


def values(instance: Any, *, leave_out: set[str]) -> dict[str, Any]:
    return {
        f.attname: getattr(instance, f.attname)
        for f in instance._meta.concrete_fields
        if f.name not in leave_out
    }


def test_the_change_queues_raw_insert_writes_every_field_as_the_orm_would(
    make_person: Callable[..., Person],
) -> None:
    account = make_person().account
    AccountChange.objects.all().delete()
    AccountChange.objects.record([account.pk], what="names")  # the raw insert
    raw = AccountChange.objects.get()
    orm = AccountChange(account=account, what="names")  # every other field at its default
    leave_out = {"id", "created_at", "due_at"}
    assert values(raw, leave_out=leave_out) == values(orm, leave_out=leave_out)
    assert raw.created_at == raw.due_at
    assert abs((timezone.now() - raw.created_at).total_seconds()) < 60
    assert model_to_dict(raw).keys() >= {"account", "what", "attempts", "state", "last_error"}


def test_a_consumed_ticket_reads_back_every_field_of_its_row(
    make_person: Callable[..., Person],
) -> None:
    account = make_person().account
    ticket = ServiceTicket.objects.issue(  # no field at its default: each must be read back
        service="https://app.example/",
        account=account,
        proxied=True,
        authenticated_at=timezone.now(),
        from_new_login=True,
        sso="a" * 32,
        proxies=["https://proxy.example/cb"],
    )
    stored = ServiceTicket.objects.get()
    consumed = ServiceTicket.objects.consume(ticket)  # the raw UPDATE … RETURNING
    assert consumed is not None
    assert consumed.consumed_at is not None
    assert values(consumed, leave_out=set(NOT_RETURNED)) == values(
        stored, leave_out=set(NOT_RETURNED)
    )
    assert {"digest", "consumed_at"} == NOT_RETURNED, "what the UPDATE sets or matches"
