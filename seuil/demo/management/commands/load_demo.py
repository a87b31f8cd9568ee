import json
from io import StringIO
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string

from seuil.accounts.models import Account
from seuil.activation.models import Sesame
from seuil.demo.sites import DemoSite, demo_sites
from seuil.people.importing import parse_people_csv
from seuil.people.models import Person, Status

FEED = Path(__file__).resolve().parents[2] / "people.csv"
SERVICES = Path(__file__).resolve().parents[2] / "services.json"
# Activated with a password printed on each run, to show how the portal differs by status.
READY = {"mdurand": "marie.durand@example.org", "zbronte": "zoe.bronte@example.org"}
# Hyphenated: generated logins never have one, so no person can ever collide with an operator.
ADMIN, HR = "admin-demo", "rh-demo"
# Staff members offered in turn for the activation (one a run, the first not yet activated), and
# the student whose feed has a personal address (the code goes there).
NEWCOMERS = ("90001", "90002", "90003", "90005")
STUDENT = "22600002"
RESET = "rm var/seuil.sqlite3 && make run"
# What the demo OpenID Connect service may receive (the CAS one gets the attributes they map to).
DEMO_CLAIMS = "name,given_name,family_name,preferred_username,email,email_verified,"
DEMO_CLAIMS += "eduperson_affiliation"


class Command(BaseCommand):
    help = (
        "Load the demonstration data of `make run`: staff members and students, a catalogue of "
        "example services and the two demonstration services that really sign people in "
        "(OpenID Connect and CAS, served by `run_demo` beside SEUIL_BASE_URL), two activated "
        "accounts of different statuses, an IT operator "
        f"'{ADMIN}' and an HR operator '{HR}' (group RH) whose passwords are renewed and printed "
        "on every run, and a fresh Sésame for one staff member who has not activated yet. "
        "Idempotent: people are upserted like any feed. Refuses to run unless SEUIL_DEBUG=true."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="report, write nothing")

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("load_demo only runs with SEUIL_DEBUG=true: it prints passwords")
        people, errors = parse_people_csv(FEED.read_bytes())
        if errors:
            raise CommandError("\n".join(errors))
        passwords = {login: get_random_string(12) for login in [ADMIN, HR, *READY]}
        sesame, newcomer, student = "", None, None
        with transaction.atomic():
            result = Person.objects.import_rows(people, dry_run=dry_run)
            if not dry_run:
                self._operator(ADMIN, passwords[ADMIN], superuser=True)
                self._operator(HR, passwords[HR], superuser=False)
                self._services()
                for login, email in READY.items():
                    account = Account.objects.get(login=login)
                    account.set_password(passwords[login])
                    account.recovery_email = email
                    account.activated_at = account.activated_at or timezone.now()
                    account.save()
                newcomer = (
                    Person.objects.exclude(status="etudiant")
                    .filter(external_id__in=NEWCOMERS, account__activated_at__isnull=True)
                    .select_related("account")
                    .order_by("external_id")
                    .first()
                )
                if newcomer is not None:
                    sesame = Sesame.issue(newcomer.account)[1]
                student = Person.objects.filter(
                    status="etudiant", external_id=STUDENT, account__activated_at__isnull=True
                ).first()
        base = settings.SEUIL_BASE_URL
        self.stdout.write(
            f"""
  seuil is ready at {base}/ — things to try:
  1. {self._newcomer(base, newcomer, sesame)}
  2. Sign in to the ENT: {base}/gestion-de-compte/se-connecter/
       teacher-researcher: mdurand / {passwords["mdurand"]}
       student:            zbronte / {passwords["zbronte"]}
     In Mon ENT, two services really sign you in, without a second password:
{self._sites(base)}
     The others are examples, without an address. "Se déconnecter" in seuil also signs you
     out of the CAS one (single logout).
  3. Work as HR in the admin: {base}/admin/   {HR} / {passwords[HR]}
       The first sign-in asks for a second factor: a passkey, or an authenticator app
       (FreeOTP, Aegis, Google Authenticator) whose QR code the page shows.
       People › select someone › "Émettre un Sésame et imprimer la lettre" gives the PDF letter.
     Everything, as IT:                         {ADMIN} / {passwords[ADMIN]}
  4. {self._student(base, student)}
  5. On the command line, in any terminal (they read .env, as this server does):
       .venv/bin/seuil export_people --excel > var/personnes.csv
       .venv/bin/seuil issue_sesame --not-activated --letter var/lettres.pdf
       .venv/bin/seuil run_lifecycle --dry-run
"""
        )
        self.stdout.write(
            f"demo: {len(result.created)} created, {len(result.updated)} updated, "
            f"{result.unchanged} unchanged" + (" (dry run: nothing written)" if dry_run else "")
        )

    def _newcomer(self, base: str, newcomer: Person | None, sesame: str) -> str:
        if newcomer is None or not sesame:
            return f"Every demo staff member has activated. To start the demo afresh: {RESET}"
        return (
            f"Activate a staff account: {base}{reverse('activation:activate')}\n"
            f"       Identifiant: {newcomer.account.login}    "
            f"Mot de passe provisoire (Sésame): {sesame}\n"
            "     Mail goes to this console (SEUIL_EMAIL_BACKEND=console): follow the "
            "confirmation link."
        )

    def _student(self, base: str, student: Person | None) -> str:
        if student is None:
            return f"The demo student has activated. To start the demo afresh: {RESET}"
        return (
            f"Activate a student: {base}{reverse('activation:student')}\n"
            f"       Numéro d'étudiant: {student.external_id}   Date de naissance: "
            f"{student.birth_date:%d/%m/%Y}   (the code shows up here)"
        )

    def _sites(self, base: str) -> str:
        return "\n".join(f"       {site.name + ':':<22}{site.url}" for site in demo_sites(base))

    def _services(self) -> None:
        """The catalogue, registered as IT would (and as docs/sso.md shows)."""
        for site in demo_sites(settings.SEUIL_BASE_URL):
            self._demo_site(site)
        for entry in json.loads(SERVICES.read_text(encoding="utf-8")):
            call_command(
                "register_service",
                entry["name"],
                url=entry["url"],
                theme=entry["theme"],
                statuses=",".join(entry["for"]),
                description=entry["description"],
                name_en=entry["name_en"],
                description_en=entry["description_en"],
                stdout=StringIO(),
            )

    def _demo_site(self, site: DemoSite) -> None:
        """A demonstration service, at the address `run_demo` serves it (SEUIL_BASE_URL's port
        and the next two): registered again on each run, so that it follows the port."""
        if site.kind == "oidc":
            protocol: dict[str, Any] = {
                "redirect_uris": [f"{site.url}retour/"],
                "post_logout_uris": [f"{site.url}au-revoir/"],
                "claims": DEMO_CLAIMS,
            }
        else:
            protocol = {"cas_services": [site.url]}
        call_command(
            "register_service",
            site.name,
            url=site.url,
            theme="communication",
            statuses=",".join(Status.values),
            description=site.description,
            name_en=site.name_en,
            description_en=site.description_en,
            **protocol,
            stdout=StringIO(),
        )

    def _operator(self, login: str, password: str, *, superuser: bool) -> None:
        operator = Account.objects.filter(login=login).first()
        if operator is None:
            operator = Account.objects.create_superuser(login, password)
        operator.set_password(password)
        operator.is_staff, operator.is_superuser = True, superuser
        operator.save()
        if not superuser:
            operator.groups.set([Group.objects.get(name="RH")])
