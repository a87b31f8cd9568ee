"""Every public POST is limited per client address (30 a minute by default), behind proxies too."""

import ipaddress
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client, RequestFactory
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from seuil.accounts.models import Account
from seuil.activation.models import Sesame
from seuil.core.http import client_ip
from seuil.people.models import Person
from tests.conftest import PASSWORD

URL = "/gestion-de-compte/validation-personnel/"


@pytest.mark.django_db
def test_the_thirty_first_post_in_a_minute_is_refused_clearly(
    throttle_backend: str, client: Client
) -> None:
    now = timezone.now().replace(second=1)
    with time_machine.travel(now, tick=False):
        statuses = [client.post(URL, {}, REMOTE_ADDR="198.51.100.1").status_code for _ in range(31)]
        refused = client.post(URL, {}, REMOTE_ADDR="198.51.100.1")
        other = client.post(URL, {}, REMOTE_ADDR="198.51.100.2")
    assert statuses[:30] == [200] * 30
    assert statuses[30] == refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert "Trop de formulaires ont été envoyés depuis votre adresse" in refused.content.decode()
    assert other.status_code == 200, "another address is not affected"
    with time_machine.travel(now + timedelta(minutes=1), tick=False):
        sliding = client.post(URL, {}, REMOTE_ADDR="198.51.100.1").status_code
    assert sliding == 429, "the last minute still holds the 31 posts"
    with time_machine.travel(now + timedelta(minutes=2), tick=False):
        assert client.post(URL, {}, REMOTE_ADDR="198.51.100.1").status_code == 200


@pytest.mark.django_db
def test_a_window_boundary_does_not_let_twice_the_limit_through(
    throttle_backend: str, client: Client
) -> None:
    """A fixed window let 60 through in 3 s across a minute boundary; the sliding one does not."""
    boundary = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    statuses = []
    for offset in (-1.5, 1.5):
        with time_machine.travel(boundary + timedelta(seconds=offset), tick=False):
            statuses += [client.post(URL, {}, REMOTE_ADDR="198.51.100.9").status_code
                         for _ in range(30)]  # fmt: skip
    assert statuses.count(200) <= 31
    assert statuses[:30] == [200] * 30


@pytest.mark.django_db
def test_reading_pages_is_not_limited(throttle_backend: str, client: Client) -> None:
    assert {client.get(URL, REMOTE_ADDR="198.51.100.3").status_code for _ in range(40)} == {200}


@pytest.mark.django_db
def test_the_refusal_speaks_english_when_asked(
    throttle_backend: str, client: Client, settings: Any
) -> None:
    settings.SEUIL_RATE_LIMIT = (0, 60)
    page = client.post(URL, {}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Too many forms were sent from your address" in page


@pytest.mark.django_db
def test_operators_at_work_in_the_admin_are_not_limited(
    admin_client: Client, settings: Any
) -> None:
    settings.SEUIL_RATE_LIMIT = (0, 60)
    assert admin_client.post("/admin/people/person/", {}).status_code != 429


def request(remote: str, forwarded: str | None = None) -> Any:
    if forwarded is None:
        return RequestFactory().post("/", REMOTE_ADDR=remote)
    return RequestFactory().post("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)


def test_a_forwarded_header_is_ignored_without_a_trusted_proxy() -> None:
    assert client_ip(request("203.0.113.9", "198.51.100.7")) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client(settings: Any) -> None:
    settings.SEUIL_TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    forged_then_real = "1.2.3.4, 198.51.100.7, 10.0.0.5"
    assert client_ip(request("10.0.0.1", forged_then_real)) == "198.51.100.7"
    assert client_ip(request("10.0.0.1", "")) == "10.0.0.1"
    assert client_ip(request("10.0.0.1", "garbage, 10.0.0.2")) == "10.0.0.1"


@given(forwarded=st.text(max_size=200), remote=st.ip_addresses().map(str))
def test_any_forwarded_header_gives_a_real_address(forwarded: str, remote: str) -> None:
    from django.test import override_settings

    with override_settings(
        SEUIL_TRUSTED_PROXIES=[ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")]
    ):
        address = client_ip(request(remote, forwarded))
    ipaddress.ip_address(address)  # raises ValueError unless it is an address


@pytest.mark.django_db
def test_two_hundred_activations_from_one_campus_address_within_a_minute(
    client: Client, settings: Any, make_person: Callable[..., Person]
) -> None:
    """September: newcomers activate from the campus, behind one NAT address."""
    settings.SEUIL_TRUSTED_NETWORKS = [ipaddress.ip_network("192.0.2.0/24")]
    people = [make_person(first_name=f"Anne{n}", last_name="Martin") for n in range(200)]
    sesames = [Sesame.issue(person.account)[1] for person in people]
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    statuses = []
    for number, (person, sesame) in enumerate(zip(people, sesames, strict=True)):
        with time_machine.travel(start + timedelta(seconds=number * 0.29), tick=False):
            response = client.post(
                URL,
                {
                    "login": person.account.login,
                    "sesame": sesame,
                    "password1": PASSWORD,
                    "password2": PASSWORD,
                    "personal_email": f"anne{number}@example.org",
                    "charter": "on",
                },
                REMOTE_ADDR="192.0.2.10",
            )
        statuses.append(response.status_code)
    assert statuses == [302] * 200
    assert Account.objects.filter(activated_at__isnull=False).count() == 200
    with time_machine.travel(start + timedelta(seconds=59), tick=False):
        outside = [client.post(URL, {}, REMOTE_ADDR="198.51.100.77").status_code
                   for _ in range(31)]  # fmt: skip
    assert outside.count(429) == 1, "outside the campus the ordinary limit holds"
