"""The Sésame: random, easy to type, stored only as a keyed hash, single use, 30 days, revocable."""

import hashlib
import math
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.db import IntegrityError
from django.utils import timezone
from django.utils.crypto import salted_hmac

from seuil.activation import models
from seuil.activation.models import CROCKFORD, Sesame
from seuil.audit.models import AuditEvent
from seuil.core import keys
from seuil.people.models import Person

pytestmark = pytest.mark.django_db


def test_it_carries_at_least_64_bits_in_easy_to_type_groups(
    make_person: Callable[..., Person],
) -> None:
    _, code = Sesame.issue(make_person().account)
    assert re.fullmatch(
        r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]",
        code,
    )
    assert len(code.replace("-", "")) * math.log2(len(CROCKFORD)) >= 64


def test_codes_do_not_repeat(make_person: Callable[..., Person]) -> None:
    account = make_person().account
    codes = {Sesame.issue(account)[1] for _ in range(200)}
    assert len(codes) == 200


def test_it_is_stored_only_as_a_keyed_hash(make_person: Callable[..., Person]) -> None:
    sesame, code = Sesame.issue(make_person().account)
    plain = code.replace("-", "")
    assert plain not in sesame.digest
    assert sesame.digest != hashlib.sha256(plain.encode()).hexdigest(), "keyed, not a bare hash"
    assert sesame.digest == models.sesame_digest(code.lower())


def test_issuing_a_new_sesame_revokes_the_previous_one(make_person: Callable[..., Person]) -> None:
    account = make_person().account
    first, first_code = Sesame.issue(account)
    _, second_code = Sesame.issue(account)
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert Sesame.objects.verify(account.login, first_code) is None
    assert Sesame.objects.verify(account.login, second_code) is not None
    assert list(AuditEvent.objects.filter(account=account, action__startswith="sesame").values_list("action", flat=True).order_by("pk")) == [
        "sesame-issued", "sesame-revoked", "sesame-issued"]  # fmt: skip


def test_the_database_holds_one_live_sesame_per_account(make_person: Callable[..., Person]) -> None:
    sesame, _ = Sesame.issue(make_person().account)
    with pytest.raises(IntegrityError):
        Sesame.objects.create(account=sesame.account, digest="x", expires_at=timezone.now())


def test_it_expires_after_the_configured_days(make_person: Callable[..., Person]) -> None:
    account = make_person().account
    sesame, code = Sesame.issue(account)
    assert sesame.expires_at - sesame.issued_at == timedelta(days=30)
    with time_machine.travel(sesame.expires_at - timedelta(minutes=1)):
        assert Sesame.objects.verify(account.login, code) is not None
    with time_machine.travel(sesame.expires_at + timedelta(minutes=1)):
        assert Sesame.objects.verify(account.login, code) is None


def test_it_can_be_used_once(make_person: Callable[..., Person]) -> None:
    sesame, _ = Sesame.issue(make_person().account)
    assert sesame.consume()
    assert not sesame.consume()


def test_an_unknown_login_costs_the_same_hashing_work(make_person: Callable[..., Person]) -> None:
    account = make_person().account
    Sesame.issue(account)
    with mock.patch.object(keys, "salted_hmac", wraps=salted_hmac) as hmac:
        Sesame.objects.verify(account.login, "AAAA-BBBB-CCCC-D")
        known = hmac.call_count
        Sesame.objects.verify("nobody", "AAAA-BBBB-CCCC-D")
    assert hmac.call_count == 2 * known == 2


@pytest.mark.usefixtures("throttle_backend")
def test_hrs_new_sesame_lifts_the_activation_lock_but_keeps_the_counts(
    make_person: Callable[..., Person],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from seuil.activation.services import verify_sesame
    from seuil.security import throttle

    account = make_person().account
    _first, printed = Sesame.issue(account)
    for _ in range(5):
        assert verify_sesame(login=account.login, code="AAAA-BBBB-CCCC-D", ip="192.0.2.7") is None
    assert verify_sesame(login=account.login, code=printed, ip="192.0.2.7") is None, "locked"

    with django_capture_on_commit_callbacks(execute=True):
        second, handed = Sesame.issue(account)

    assert verify_sesame(login=account.login, code=handed, ip="192.0.2.7") == second
    assert throttle.locked_until(account.login) is None
    # On an account nobody then activates, the lift keeps the count: a guesser's next five
    # failures arm the next step, not the first.
    other = Sesame.issue(make_person(first_name="Anne").account)[0].account
    for _ in range(5):
        verify_sesame(login=other.login, code="AAAA-BBBB-CCCC-D", ip="192.0.2.7")
    with django_capture_on_commit_callbacks(execute=True):
        Sesame.issue(other)
    for _ in range(5):
        verify_sesame(login=other.login, code="AAAA-BBBB-CCCC-D", ip="192.0.2.7")
    until = throttle.locked_until(other.login)
    assert until is not None
    assert until - timezone.now() > timedelta(minutes=30), "10 failures: the 1-hour step"
