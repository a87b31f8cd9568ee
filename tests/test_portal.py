"""The ENT portal: the services of each status grouped by theme, and the person's panel."""

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from seuil.people.models import Person, Status
from seuil.sso.models import Service, Theme
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
CATALOGUE = json.loads(
    (Path(__file__).resolve().parent.parent / "seuil" / "demo" / "services.json").read_text()
)


@pytest.fixture(autouse=True)
def catalogue() -> None:
    for entry in CATALOGUE:
        Service.objects.register(
            name=entry["name"], description=entry["description"], url=entry["url"], theme=entry["theme"],
            statuses=entry["for"], name_en=entry["name_en"], description_en=entry["description_en"],
        )  # fmt: skip


def portal(client: Client, person: Person) -> Any:
    client.force_login(person.account)
    return client.get("/mon-ent/")


def test_the_portal_asks_to_sign_in_first(client: Client) -> None:
    assert client.get("/mon-ent/")["Location"] == "/gestion-de-compte/se-connecter/?next=/mon-ent/"


def test_the_demo_catalogue_has_at_least_twelve_services_and_each_status_its_own_set() -> None:
    assert Service.objects.count() >= 12
    sets = {status: frozenset(Service.objects.offered_to(status)) for status in Status.values}
    assert len(set(sets.values())) == 4


@pytest.mark.parametrize(
    ("status", "present", "absent"),
    [
        ("etudiant", ["Mon dossier étudiant", "Dépôt de devoirs"], ["Saisie des notes", "Bulletins de paie"]),
        ("administratif", ["Service de gestion financière", "Congés et absences"], ["Espace de cours", "Archive ouverte"]),
        ("enseignant", ["Saisie des notes", "Espace de cours"], ["Archive ouverte", "Service de gestion financière"]),
        ("enseignant-chercheur", ["Archive ouverte", "Saisie des notes"], ["Mon dossier étudiant", "Service de gestion financière"]),
    ],
)  # fmt: skip
def test_each_status_sees_its_own_services(
    client: Client,
    make_person: Callable[..., Person],
    status: str,
    present: list[str],
    absent: list[str],
) -> None:
    page = portal(client, make_person(status=status, password=PASSWORD)).content.decode()
    for name in present:
        assert f">{name}</h3>" in page
    for name in absent:
        assert name not in page


def test_services_are_grouped_by_theme_as_absolute_links(
    client: Client, make_person: Callable[..., Person]
) -> None:
    response = portal(client, make_person(status="enseignant-chercheur", password=PASSWORD))
    page = response.content.decode()
    headings = [str(label) for label in Theme.labels if f">{label}</h2>" in page]
    assert headings == [
        "Communication",
        "Pédagogie",
        "Scolarité",
        "Ressources humaines",
        "Gestion",
        "Recherche",
        "Documentation",
        "Vie pratique",
    ]
    positions = [page.index(f">{label}</h2>") for label in headings]
    assert positions == sorted(positions)
    assert all(
        service.url.startswith(("https://", "http://")) for service in response.context["services"]
    )
    # The catalogue's addresses are under a reserved domain that exists nowhere (RFC 2606):
    # examples, said so, without a dead link.
    assert "archive.demo.seuil.example" not in page
    assert '<h3 lang="fr">Archive ouverte</h3>' in page
    assert page.count("ce service n'a pas d'adresse réelle.") == len(response.context["services"])


def test_the_panel_shows_the_person(client: Client, make_person: Callable[..., Person]) -> None:
    person = make_person(
        first_name="Éloïse",
        last_name="Lefèvre-Martin",
        end_date=date(2027, 8, 31),
        password=PASSWORD,
    )
    page = portal(client, person).content.decode()
    for shown in [
        "Éloïse Lefèvre-Martin",
        "elefevre",
        "eloise.lefevre-martin@univ-montp3.fr",
        "<dd>Actif</dd>",
        "31 août 2027",
    ]:
        assert shown in page
    assert "SupannActif" not in page, "the state in words, not the SupAnn code"


def test_in_grace_a_banner_gives_the_closing_date(
    client: Client, make_person: Callable[..., Person]
) -> None:
    end = timezone.localdate() - timedelta(days=5)
    page = portal(
        client,
        make_person(end_date=end, start_date=end - timedelta(days=300), password=PASSWORD),
    ).content.decode()
    assert "votre compte sera fermé le" in page
    assert "En sursis (délai de grâce)" in page


def test_the_portal_speaks_english_when_asked(
    client: Client, make_person: Callable[..., Person]
) -> None:
    client.force_login(make_person(status="etudiant", password=PASSWORD).account)
    page = client.get("/mon-ent/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "My ENT" in page
    assert "Account state" in page


def test_it_shows_the_english_name_and_description_in_english(
    client: Client, make_person: Callable[..., Person]
) -> None:
    client.force_login(make_person(status="etudiant", password=PASSWORD).account)
    page = client.get("/mon-ent/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<h3 lang="en">Courses</h3>' in page
    assert '<p lang="en">Online courses, resources and forums.</p>' in page
    assert ">My student record</h3>" in page
    assert "Example: this service has no real address." in page
    assert "A question or a fault: the IT help desk." in page
    assert "Espace de cours" not in page
    assert "Les cours en ligne" not in page


def test_in_english_each_theme_is_in_the_order_of_the_english_names(
    client: Client, make_person: Callable[..., Person]
) -> None:
    client.force_login(make_person(status="etudiant", password=PASSWORD).account)
    page = client.get("/mon-ent/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    teaching = ["Assignments", "Courses", "Virtual classroom"]  # French: Classe, Dépôt, Espace
    positions = [page.index(f">{name}</h3>") for name in teaching]
    assert positions == sorted(positions)


def test_it_falls_back_to_the_french_name_and_description_when_the_english_ones_are_blank(
    client: Client, make_person: Callable[..., Person]
) -> None:
    Service.objects.filter(name="Espace de cours").update(name_en="", description_en="")
    Service.objects.filter(name="Dépôt de devoirs").update(description_en="")
    Service.objects.filter(name="Classe virtuelle").update(name_en="")
    client.force_login(make_person(status="etudiant", password=PASSWORD).account)
    page = client.get("/mon-ent/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # Marked as French for screen readers, and spaced the French way though the page is English.
    assert '<h3 lang="fr">Espace de cours</h3>' in page
    assert '<p lang="fr">Les cours en ligne, les ressources et les forums.</p>' in page
    assert (
        '>Assignments</h3><p lang="fr">Rendre un devoir et retrouver les corrections.</p>' in page
    )
    assert '<h3 lang="fr">Classe virtuelle</h3>' in page
    assert '<p lang="en">Classes and meetings online.</p>' in page
    Service.objects.filter(name="Assistance informatique").update(description_en="")
    page = client.get("/mon-ent/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<p lang="fr">Une question, une panne\u00a0: le service d&#x27;assistance.</p>' in page


def test_french_pages_keep_the_french_names_and_descriptions(
    client: Client, make_person: Callable[..., Person]
) -> None:
    page = portal(client, make_person(status="etudiant", password=PASSWORD)).content.decode()
    assert '<h3 lang="fr">Espace de cours</h3>' in page
    assert '<p lang="fr">Les cours en ligne, les ressources et les forums.</p>' in page
    assert "Courses" not in page
    assert "Online courses" not in page
    positions = [
        page.index(f">{name}</h3>")
        for name in ["Classe virtuelle", "Dépôt de devoirs", "Espace de cours"]
    ]
    assert positions == sorted(positions)


def test_the_demo_catalogue_names_and_describes_every_service_in_english() -> None:
    for entry in CATALOGUE:
        assert entry["name_en"].strip(), entry["name"]
        assert entry["description_en"].strip(), entry["name"]
        assert entry["name_en"] != entry["name"]
    assert len({entry["name_en"] for entry in CATALOGUE}) == len(CATALOGUE)


def test_a_service_with_a_real_address_is_a_link(
    client: Client, make_person: Callable[..., Person]
) -> None:
    Service.objects.register(
        name="Démo CAS", url="http://localhost:8002/", theme="communication", statuses=["etudiant"]
    )
    page = portal(client, make_person(status="etudiant", password=PASSWORD)).content.decode()
    assert '<h3 lang="fr"><a href="http://localhost:8002/">Démo CAS</a></h3>' in page


@pytest.mark.parametrize(
    ("url", "example"),
    [
        ("https://cours.demo.seuil.example/", True),
        ("https://example/", True),
        ("https://www.example.org/cours", True),
        ("https://example.com./", True),
        ("https://moodle.univ-montp3.fr/", False),
        ("https://example.fr/", False),
        ("https://notexample.com/", False),
        ("http://localhost:8001/", False),
    ],
)
def test_an_address_under_a_reserved_domain_is_an_example(url: str, example: bool) -> None:
    assert Service(url=url).is_example is example
