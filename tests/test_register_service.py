"""The service registry: `seuil register_service`, statuses as rows, and who a service admits."""

from collections.abc import Callable
from io import StringIO

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.graph import MigrationGraph
from django.utils import timezone, translation
from oauth2_provider.models import Application

from seuil.accounts.models import Account
from seuil.people.models import Person
from seuil.sso.models import DEFAULT_CLAIMS, Service, Subject
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
COURSES = ["Espace de cours", "--url", "https://cours.example/", "--theme", "pedagogie"]


def register(*args: str) -> str:
    out = StringIO()
    call_command("register_service", *args, stdout=out)
    return out.getvalue()


def printed(output: str, key: str) -> str:
    return next(line.split(": ", 1)[1] for line in output.splitlines() if line.startswith(key))


def test_it_creates_a_service_for_its_statuses_shown_in_the_portal() -> None:
    output = register(*COURSES, "--for", "etudiant,enseignant", "--description", "Cours.")
    service = Service.objects.get(name="Espace de cours")
    assert service.status_codes() == {"etudiant", "enseignant"}
    assert service.shown_in_portal
    assert service.claims == DEFAULT_CLAIMS
    assert service.oidc_client is None
    assert "client_secret" not in output
    assert output.strip().endswith("service « Espace de cours » créé")


def test_it_updates_by_name_and_keeps_what_is_not_given() -> None:
    register(*COURSES, "--for", "etudiant", "--description", "Cours.", "--claims", "email")
    register("Espace de cours", "--url", "https://moodle.example/", "--theme", "pedagogie",
             "--for", "enseignant,enseignant-chercheur", "--hidden")  # fmt: skip
    service = Service.objects.get()
    assert (service.url, service.description, service.claims) == (
        "https://moodle.example/",
        "Cours.",
        ["email"],
    )
    assert service.status_codes() == {"enseignant", "enseignant-chercheur"}
    assert not service.shown_in_portal
    assert list(Service.objects.offered_to("enseignant")) == []


def test_an_update_names_only_what_changes() -> None:
    register(*COURSES, "--for", "etudiant,enseignant", "--description", "Cours.")
    output = register("Espace de cours", "--for", "enseignant")
    service = Service.objects.get()
    assert (service.url, service.theme, service.description) == (
        "https://cours.example/",
        "pedagogie",
        "Cours.",
    )
    assert service.status_codes() == {"enseignant"}
    register("Espace de cours", "--hidden")
    service.refresh_from_db()
    assert service.status_codes() == {"enseignant"}
    assert not service.shown_in_portal
    assert output.strip() == "service « Espace de cours » mis à jour"


@pytest.mark.parametrize(
    ("args", "missing"),
    [
        ([], "--url, --theme, --for"),
        (["--url", "https://cours.example/", "--for", "etudiant"], "--theme"),
        (["--theme", "pedagogie", "--for", "etudiant"], "--url"),
        (["--url", "https://cours.example/", "--theme", "pedagogie"], "--for"),
    ],
)
def test_a_new_service_needs_its_address_theme_and_statuses(args: list[str], missing: str) -> None:
    with pytest.raises(CommandError, match=f"Un nouveau service demande {missing}\\."):
        register("Espace de cours", *args)
    assert not Service.objects.exists()


def test_the_command_belongs_to_the_registry() -> None:
    from django.core.management import get_commands

    assert get_commands()["register_service"] == "seuil.sso"


def test_it_sets_the_english_name_and_description() -> None:
    register(*COURSES, "--for", "etudiant", "--description", "Les cours en ligne.",
             "--name-en", " Courses ", "--description-en", "Online courses.")  # fmt: skip
    service = Service.objects.get()
    assert (service.name, service.name_en) == ("Espace de cours", "Courses")
    assert (service.description, service.description_en) == (
        "Les cours en ligne.",
        "Online courses.",
    )
    with translation.override("en"):
        assert (service.display_name, service.display_description) == ("Courses", "Online courses.")
        assert service.display_name.lang == "en"
    with translation.override("fr"):
        assert (service.display_name, service.display_description) == (
            "Espace de cours",
            "Les cours en ligne.",
        )
        assert service.display_name.lang == "fr"


def test_an_update_keeps_english_texts_not_given_and_an_empty_one_clears_it() -> None:
    register(*COURSES, "--for", "etudiant", "--name-en", "Courses", "--description-en", "Online.")
    register(*COURSES, "--for", "etudiant", "--description-en", "Online courses.")
    service = Service.objects.get()
    assert (service.name_en, service.description_en) == ("Courses", "Online courses.")
    register(*COURSES, "--for", "etudiant", "--name-en", "")
    service.refresh_from_db()
    assert (service.name_en, service.description_en) == ("", "Online courses.")
    with translation.override("en"):
        assert service.display_name == "Espace de cours"
        assert service.display_name.lang == "fr"


def test_an_english_name_too_long_is_refused_and_nothing_is_written() -> None:
    with pytest.raises(CommandError, match="80"):
        register(*COURSES, "--for", "etudiant", "--name-en", "x" * 81)
    assert not Service.objects.exists()


def test_an_oidc_client_gets_its_secret_printed_once_and_stored_hashed_cheaply() -> None:
    output = register(*COURSES, "--for", "etudiant", "--oidc-redirect-uri", "https://cours.example/oidc",
                      "--oidc-post-logout-uri", "https://cours.example/")  # fmt: skip
    client_id, secret = printed(output, "client_id"), printed(output, "client_secret")
    client = Application.objects.get(client_id=client_id)
    assert Service.objects.get().oidc_client == client
    assert (client.redirect_uris, client.post_logout_redirect_uris) == (
        "https://cours.example/oidc",
        "https://cours.example/",
    )
    assert client.skip_authorization  # no consent screen
    assert len(secret) >= 64
    assert secret not in client.client_secret
    # One SHA-256, not Argon2: a token request must not cost a password hash.
    assert identify_hasher(client.client_secret).algorithm == "sha256_secret"
    assert check_password(secret, client.client_secret)
    assert not check_password(secret + "x", client.client_secret)

    again = register(*COURSES, "--for", "etudiant")
    assert "client_secret" not in again
    renewed = register(*COURSES, "--for", "etudiant", "--new-secret")
    new_secret = printed(renewed, "client_secret")
    client.refresh_from_db()
    assert printed(renewed, "client_id") == client_id
    assert check_password(new_secret, client.client_secret)
    assert not check_password(secret, client.client_secret)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--for", "etudiant,alien"], "Statuts inconnus"),
        (["--for", ","], "Statuts inconnus"),
        (["--for", "etudiant", "--claims", "email,birthdate"], "Informations inconnues"),
        (["--for", "etudiant", "--oidc-redirect-uri", "http://cours.example/oidc"], "Adresse de retour refusée"),
        (["--for", "etudiant", "--oidc-redirect-uri", "https://cours.example/oidc#x"], "Adresse de retour refusée"),
        (["--for", "etudiant", "--new-secret"], "adresse de retour"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_and_nothing_is_written(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        register(*COURSES, *args)
    assert not Service.objects.exists()
    assert not Application.objects.exists()


def test_http_is_allowed_on_loopback_only() -> None:
    register(*COURSES, "--for", "etudiant", "--oidc-redirect-uri", "http://127.0.0.2:8080/cb")
    assert Application.objects.get().redirect_uris == "http://127.0.0.2:8080/cb"


def test_a_dry_run_writes_nothing_and_prints_no_secret() -> None:
    output = register(
        *COURSES,
        "--for",
        "etudiant",
        "--oidc-redirect-uri",
        "https://cours.example/oidc",
        "--dry-run",
    )
    assert "client_secret" not in output
    assert "essai : rien n'a été écrit" in output
    assert not Service.objects.exists()
    assert not Application.objects.exists()


def test_a_service_admits_open_accounts_of_its_statuses_only(
    make_person: Callable[..., Person], make_operator: Callable[..., Account]
) -> None:
    register(*COURSES, "--for", "etudiant")
    service = Service.objects.get()
    student = make_person(status="etudiant", password=PASSWORD).account
    staff = make_person(status="administratif", password=PASSWORD).account
    never_activated = make_person(status="etudiant").account
    locked = make_person(status="etudiant", password=PASSWORD).account
    locked.locked_at = timezone.now()
    locked.save()
    operator = make_operator(login="it-dupont")
    assert service.admits(student)
    assert not service.admits(staff)
    assert not service.admits(never_activated)
    assert not service.admits(locked)
    assert not service.admits(operator)


def test_sub_is_opaque_given_once_and_kept(make_person: Callable[..., Person]) -> None:
    account = make_person(password=PASSWORD).account
    sub = Subject.of(account)
    assert Subject.of(account) == sub
    assert account.login not in sub
    assert sub != str(account.pk)
    assert len(sub) >= 40
    assert Subject.of(make_person(password=PASSWORD).account) != sub


def executor_back_to(targets: list[tuple[str, str]]) -> MigrationExecutor:
    """An executor whose graph keeps only the migrations that going back to `targets` unapplies,
    and what they depend on. Unapplying replays the whole plan on a rendered state from the
    first migration it unapplies on; sso.0002 comes early in the plan, and re-rendering at each
    of the ~35 unrelated migrations after it cost seconds. The same migrations are unapplied
    with the same SQL: no model outside sso, saml, cas and portal points into them, and what
    they point at (accounts, oauth2_provider) has the same key in every state."""
    executor = MigrationExecutor(connection)
    full = executor.loader.graph
    unapplied = [migration for migration, _ in executor.migration_plan(targets)]
    kept = {key for m in unapplied for key in full.forwards_plan((m.app_label, m.name))}
    executor.loader.graph = MigrationGraph()
    for key in kept:
        executor.loader.graph.add_node(key, full.nodes[key])
    for key in kept:
        for parent in full.node_map[key].parents:
            executor.loader.graph.add_dependency(full.nodes[key], key, parent.key)
    assert [m for m, _ in executor.migration_plan(targets)] == unapplied
    return executor


@pytest.mark.django_db(transaction=True)
def test_the_four_status_columns_become_status_rows() -> None:
    executor = executor_back_to([("sso", "0001_initial"), ("portal", "0001_initial")])
    executor.migrate([("sso", "0001_initial"), ("portal", "0001_initial")])
    old = executor.loader.project_state([("portal", "0001_initial")]).apps.get_model(
        "portal", "Service"
    )
    old.objects.create(name="Paie", description="Bulletins.", url="https://paie.example/", theme="ressources-humaines",
                       for_administratif=True, for_enseignant_chercheur=True)  # fmt: skip
    old.objects.create(name="Nulle part", description="", url="https://x.example/", theme="gestion")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    paie = Service.objects.get(name="Paie")
    assert paie.status_codes() == {"administratif", "enseignant-chercheur"}
    assert (paie.description, paie.theme, paie.shown_in_portal) == (
        "Bulletins.",
        "ressources-humaines",
        True,
    )
    assert Service.objects.get(name="Nulle part").status_codes() == set()


@pytest.mark.django_db(transaction=True)
def test_services_registered_before_the_english_names_keep_showing_in_french() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("sso", "0002_services_from_the_portal")])
    old = executor.loader.project_state([("sso", "0002_services_from_the_portal")]).apps
    old.get_model("sso", "Service").objects.create(
        name="Paie", description="Bulletins.", url="https://paie.example/", theme="gestion"
    )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    paie = Service.objects.get(name="Paie")
    assert (paie.name_en, paie.description_en) == ("", "")
    with translation.override("en"):
        assert (paie.display_name, paie.display_description) == ("Paie", "Bulletins.")
