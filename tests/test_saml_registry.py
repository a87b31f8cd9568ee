"""The institution's own SAML services, registered with `register_service --saml-sp`."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from seuil.people.models import Person
from seuil.saml.models import ServiceProvider
from tests.conftest import PASSWORD
from tests.saml import authn_request, make_sp, posted, send

pytestmark = pytest.mark.django_db


def register(tmp_path: Path, name: str, *sps: str, statuses: str = "administratif") -> str:
    files = []
    for number, metadata in enumerate(sps):
        path = tmp_path / f"{name}-{number}.xml"
        path.write_text(metadata)
        files += ["--saml-sp", str(path)]
    out = StringIO()
    call_command(
        "register_service", name, "--url", "https://sp.example.org/", "--theme", "scolarite",
        "--for", statuses, *files, stdout=out,
    )  # fmt: skip
    return out.getvalue()


def test_it_registers_a_saml_sp_shown_in_mon_ent(tmp_path: Path, jean: Person) -> None:
    sp = make_sp()
    assert "1 SAML SP" in register(tmp_path, "Gestion des stages", sp.metadata)
    stored = ServiceProvider.objects.get(entity_id=sp.entity_id)
    assert stored.service is not None
    assert stored.service.name == "Gestion des stages"
    browser = Client()
    browser.post("/gestion-de-compte/se-connecter/", {"login": "jdupont", "password": PASSWORD})
    assert "Gestion des stages" in browser.get("/mon-ent/").content.decode()
    _, carried = authn_request(sp)
    assert posted(send(browser, carried))[0] == sp.acs


def test_an_sp_of_one_service_is_refused_to_another(tmp_path: Path) -> None:
    sp = make_sp()
    register(tmp_path, "Gestion des stages", sp.metadata)
    with pytest.raises(CommandError, match="already registered"):
        register(tmp_path, "Autre", sp.metadata)


def test_malformed_metadata_writes_nothing(tmp_path: Path) -> None:
    for bad in [
        "<not xml",
        '<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
        "<md:EntityDescriptor xmlns:md='urn:oasis:names:tc:SAML:2.0:metadata' entityID='x'/>",
    ]:
        with pytest.raises(CommandError):
            register(tmp_path, "Gestion des stages", bad)
    assert not ServiceProvider.objects.exists()


def test_it_refuses_seuils_own_entity_id(tmp_path: Path) -> None:
    sp = make_sp("http://127.0.0.1:8000/saml/idp")
    with pytest.raises(CommandError, match="own entityID"):
        register(tmp_path, "Miroir", sp.metadata)


def test_registering_again_replaces_the_sps(tmp_path: Path) -> None:
    first, second = make_sp(), make_sp("https://other.example.org/shibboleth")
    register(tmp_path, "Gestion des stages", first.metadata)
    register(tmp_path, "Gestion des stages", second.metadata)
    assert list(ServiceProvider.objects.values_list("entity_id", flat=True)) == [second.entity_id]
