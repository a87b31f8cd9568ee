"""`seuil saml_metadata`: a federation's signed aggregate, verified, bounded in time, stored per SP;
the last good copy kept when a new one is refused; one bad entity skipped."""

from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core import checks
from django.core.management import CommandError, call_command
from django.utils import timezone

from seuil.saml.models import Federation, ServiceProvider
from tests.saml import aggregate, keypair, local_service, make_sp, register

pytestmark = pytest.mark.django_db


def iso(delta: timedelta) -> str:
    return (timezone.now() + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def federation(tmp_path: Path, settings: Any) -> Path:
    path = tmp_path / "aggregate.xml"
    settings.SEUIL_SAML_FEDERATIONS = [("renater", f"file://{path}", keypair("federation")[1])]
    return path


def refresh() -> str:
    out, err = StringIO(), StringIO()
    try:
        call_command("saml_metadata", stdout=out, stderr=err)
    finally:
        print(out.getvalue(), err.getvalue())
    return out.getvalue() + err.getvalue()


SPS = [f"https://sp{n}.example.org/shibboleth" for n in range(3)]


def test_it_stores_each_sp_of_a_signed_aggregate(federation: Path) -> None:
    federation.write_bytes(
        aggregate([make_sp(e).metadata for e in SPS], valid_until=iso(timedelta(days=9)))
    )
    assert "3 SP," in refresh()
    stored = ServiceProvider.objects.filter(federation__name="renater")
    assert sorted(stored.values_list("entity_id", flat=True)) == SPS
    assert Federation.objects.get().error == ""


def test_a_later_aggregate_removes_the_sps_that_left(federation: Path) -> None:
    federation.write_bytes(
        aggregate([make_sp(e).metadata for e in SPS], valid_until=iso(timedelta(days=9)))
    )
    refresh()
    federation.write_bytes(
        aggregate([make_sp(SPS[0]).metadata], valid_until=iso(timedelta(days=9)))
    )
    assert "2 retiré(s)" in refresh()
    assert list(ServiceProvider.objects.values_list("entity_id", flat=True)) == [SPS[0]]


@pytest.mark.parametrize(
    "fault",
    ["tampered", "other-key", "expired", "too-far", "unsigned", "missing"],
)
def test_a_refused_aggregate_keeps_the_last_good_copy(federation: Path, fault: str) -> None:
    federation.write_bytes(
        aggregate([make_sp(e).metadata for e in SPS], valid_until=iso(timedelta(days=9)))
    )
    refresh()
    bad = aggregate(
        [make_sp(SPS[0]).metadata],
        valid_until=iso(timedelta(days=9)),
        key="other" if fault == "other-key" else "federation",
    )
    if fault == "tampered":
        bad = bad.replace(b"sp0.example.org/Shibboleth.sso", b"evil.example.org/Shibboleth.sso")
    elif fault == "expired":
        bad = aggregate([make_sp(SPS[0]).metadata], valid_until=iso(-timedelta(hours=1)))
    elif fault == "too-far":
        bad = aggregate([make_sp(SPS[0]).metadata], valid_until=iso(timedelta(days=40)))
    elif fault == "unsigned":
        bad = (
            bad.split(b"<ds:Signature")[0] + b"</md:EntitiesDescriptor>"
            if b"<ds:Signature" in bad
            else bad
        )
    if fault == "missing":
        federation.unlink()
    else:
        federation.write_bytes(bad)
    with pytest.raises(CommandError, match="1 en échec"):
        refresh()
    assert ServiceProvider.objects.count() == 3
    federation_row = Federation.objects.get()
    assert federation_row.error
    found = [m for m in checks.run_checks(databases=["default"]) if m.id == "seuil.saml.W001"]
    assert found
    assert "renater" in found[0].msg


def test_a_malformed_entity_is_skipped_and_the_others_work(federation: Path) -> None:
    broken = make_sp("https://broken.example.org/shibboleth").metadata.replace(
        "AssertionConsumerService", "Nothing"
    )
    federation.write_bytes(
        aggregate([broken, *(make_sp(e).metadata for e in SPS)], valid_until=iso(timedelta(days=9)))
    )
    output = refresh()
    assert "3 SP," in output
    assert "écarté" in output
    assert "broken.example.org" in output
    assert ServiceProvider.objects.count() == 3
    assert [m for m in checks.run_checks(databases=["default"]) if m.id == "seuil.saml.W003"]


def test_a_service_registered_by_the_institution_keeps_its_sp(federation: Path) -> None:
    service = local_service()
    register(make_sp(SPS[0]), service=service)
    federation.write_bytes(
        aggregate([make_sp(e).metadata for e in SPS], valid_until=iso(timedelta(days=9)))
    )
    refresh()
    assert ServiceProvider.objects.get(entity_id=SPS[0]).service == service
