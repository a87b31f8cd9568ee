"""`seuil register_service --cas-service URL-PREFIX`: the URLs that may receive CAS tickets."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from seuil.cas.models import CasService, Kind
from seuil.sso.models import Service

pytestmark = pytest.mark.django_db
SCOLARITE = ["Scolarité", "--url", "https://scolarite.example/", "--theme", "scolarite"]
SCOLARITE += ["--for", "etudiant"]


def register(*args: str) -> str:
    out = StringIO()
    call_command("register_service", *args, stdout=out)
    return out.getvalue()


def prefixes(name: str, kind: str = Kind.SERVICE) -> list[str]:
    return sorted(
        CasService.objects.filter(service__name=name, kind=kind).values_list("prefix", flat=True)
    )


def test_it_registers_each_cas_prefix_given() -> None:
    output = register(
        *SCOLARITE,
        "--cas-service",
        "https://scolarite.example/",
        "--cas-service",
        "https://notes.example/app/",
    )
    assert prefixes("Scolarité") == ["https://notes.example/app/", "https://scolarite.example/"]
    assert output.strip() == "service « Scolarité » créé, 2 préfixes CAS"
    found = CasService.objects.for_url("https://notes.example/app/releve?id=3")
    assert found is not None
    assert found.service.name == "Scolarité"


def test_given_again_they_replace_the_previous_prefixes_and_otherwise_stay() -> None:
    register(*SCOLARITE, "--cas-service", "https://old.example/")
    register(*SCOLARITE, "--cas-service", "https://new.example/")
    assert prefixes("Scolarité") == ["https://new.example/"]
    register(*SCOLARITE, "--description", "Notes.")
    assert prefixes("Scolarité") == ["https://new.example/"]


def test_an_update_may_give_only_its_prefixes() -> None:
    register(*SCOLARITE, "--cas-service", "https://old.example/")
    output = register("Scolarité", "--cas-service", "https://new.example/")
    assert prefixes("Scolarité") == ["https://new.example/"]
    assert output.strip() == "service « Scolarité » mis à jour, 1 préfixe CAS"


def test_a_proxy_callback_is_registered_apart() -> None:
    register(
        *SCOLARITE,
        "--cas-service",
        "https://portail.example/",
        "--cas-proxy-callback",
        "https://portail.example/CasProxyServlet",
    )
    assert prefixes("Scolarité", Kind.PROXY_CALLBACK) == ["https://portail.example/CasProxyServlet"]
    assert CasService.objects.for_url("https://portail.example/CasProxyServlet") is not None


@pytest.mark.parametrize(
    "prefix",
    ["ftp://scolarite.example/", "https://scolarite.example/?a=1", "/relative/", "https://"],
)
def test_a_malformed_prefix_stops_the_command_and_writes_nothing(prefix: str) -> None:
    with pytest.raises(CommandError, match="sans « \\? » ni « # »"):
        register(*SCOLARITE, "--cas-service", "https://fine.example/", "--cas-service", prefix)
    assert not Service.objects.exists()
    assert not CasService.objects.exists()


def test_a_prefix_another_service_holds_is_refused() -> None:
    register(*SCOLARITE, "--cas-service", "https://scolarite.example/")
    with pytest.raises(CommandError, match="déjà enregistré pour « Scolarité »"):
        register(
            "Messagerie",
            "--url",
            "https://mail.example/",
            "--theme",
            "communication",
            "--for",
            "etudiant",
            "--cas-service",
            "https://scolarite.example/",
        )
    assert not Service.objects.filter(name="Messagerie").exists()


def test_a_dry_run_writes_nothing() -> None:
    output = register(*SCOLARITE, "--cas-service", "https://scolarite.example/", "--dry-run")
    assert "1 préfixe CAS (essai : rien n'a été écrit)" in output
    assert not CasService.objects.exists()
