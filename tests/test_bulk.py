"""seuil.core.bulk's positional builder makes what keywords make."""

from datetime import timedelta

import pytest
import time_machine
from django.db.models import signals
from django.utils import timezone

from seuil.accounts.models import Account
from seuil.core import bulk
from seuil.people.models import Person


def values(instance: Account | Person) -> dict[str, object]:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_a_built_instance_is_the_one_keywords_make() -> None:
    now = timezone.now()
    build = bulk.builder(Account, "login", "mail", "created_at", password="!")
    built = build("jdupont", "jean.dupont@example.org", now)
    made = Account(login="jdupont", mail="jean.dupont@example.org", created_at=now, password="!")
    assert values(built) == values(made)
    assert built._state.adding
    assert built.pk is None


def test_a_default_drawn_per_instance_is_drawn_per_instance() -> None:
    build = bulk.builder(Person, "status", "external_id")
    first = build("etudiant", "1")
    with time_machine.travel(first.created_at + timedelta(minutes=1)):
        second = build("etudiant", "2")
    assert second.created_at > first.created_at


def test_a_model_with_init_receivers_is_built_through_its_init() -> None:
    seen: list[object] = []

    def receiver(sender: type, instance: object, **kwargs: object) -> None:
        seen.append(instance)

    signals.post_init.connect(receiver, sender=Person)
    try:
        built = bulk.builder(Person, "status", "external_id")("etudiant", "1")
    finally:
        signals.post_init.disconnect(receiver, sender=Person)
    assert seen == [built]


def test_an_unknown_field_is_refused() -> None:
    with pytest.raises(TypeError, match="no field nom"):
        bulk.builder(Person, "nom")


@pytest.mark.django_db
def test_insert_one_writes_what_save_writes_and_reads_back_the_drawn_key() -> None:
    from seuil.sso.chains import Chain

    now = timezone.now()
    facts = {"sign_on": "s1", "signed_in_at": now, "methods": {"pwd": 1.5}, "created_at": now}
    saved = Chain.objects.create(code="a" * 64, **facts)
    inserted = bulk.insert_one(Chain(code="b" * 64, **facts))
    assert inserted.pk is not None
    assert inserted.pk != saved.pk
    assert not inserted._state.adding
    assert inserted._state.db == "default"
    mine, theirs = (values(Chain.objects.get(pk=c.pk)) for c in (inserted, saved))  # type: ignore[arg-type]
    assert {**mine, "id": None, "code": None} == {**theirs, "id": None, "code": None}
    assert mine["methods"] == {"pwd": 1.5}
