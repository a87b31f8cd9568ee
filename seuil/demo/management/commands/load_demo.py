import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string

from seuil.accounts.models import Account
from seuil.activation.models import Sesame
from seuil.people.importing import parse_people_csv
from seuil.people.models import Person
from seuil.portal.models import STATUS_FIELDS, Service

FEED = Path(__file__).resolve().parents[2] / "people.csv"
SERVICES = Path(__file__).resolve().parents[2] / "services.json"
# Activated with a password printed on each run, to show how the portal differs by status.
READY = {"mdurand": "marie.durand@example.org", "zbronte": "zoe.bronte@example.org"}
# Hyphenated: generated logins never have one, so no person can ever collide with an operator.
ADMIN, HR = "admin-demo", "rh-demo"
NEWCOMER = "90001"  # the staff member whose fresh Sésame is printed


class Command(BaseCommand):
    help = (
        "Load the demonstration data of `make run`: staff members and students, a catalogue of "
        "services, two activated accounts of different statuses, an IT operator "
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
        sesame = "—"
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
                newcomer = Person.objects.get(external_id=NEWCOMER, status="administratif")
                if newcomer.account.activated_at is None:
                    sesame = Sesame.issue(newcomer.account)[1]
        base = settings.SEUIL_BASE_URL
        self.stdout.write(
            f"""
  seuil is ready at {base}/ — things to try:
  1. Activate a staff account: {base}{reverse("activation:activate")}
       Identifiant: elefevre    Mot de passe provisoire (Sésame): {sesame}
     Mail goes to this console (SEUIL_EMAIL_BACKEND=console): follow the confirmation link.
  2. Sign in to the ENT: {base}/gestion-de-compte/se-connecter/
       teacher-researcher: mdurand / {passwords["mdurand"]}
       student:            zbronte / {passwords["zbronte"]}
  3. Work as HR in the admin: {base}/admin/   {HR} / {passwords[HR]}
       People › select someone › "Émettre un Sésame et imprimer la lettre" gives the PDF letter.
     Everything, as IT:                         {ADMIN} / {passwords[ADMIN]}
  4. Activate a student: {base}{reverse("activation:student")}
       Numéro d'étudiant: 22600002   Date de naissance: 03/02/2006   (the code shows up here)
  5. On the command line: .venv/bin/seuil export_people
                          .venv/bin/seuil issue_sesame jdupont2 --letter var/lettre.pdf
                          .venv/bin/seuil run_lifecycle --dry-run
"""
        )
        self.stdout.write(
            f"demo: {len(result.created)} created, {len(result.updated)} updated, "
            f"{result.unchanged} unchanged" + (" (dry run: nothing written)" if dry_run else "")
        )

    def _services(self) -> None:
        for entry in json.loads(SERVICES.read_text(encoding="utf-8")):
            flags = {field: status in entry["for"] for status, field in STATUS_FIELDS.items()}
            Service.objects.update_or_create(
                name=entry["name"],
                defaults={
                    "description": entry["description"],
                    "url": entry["url"],
                    "theme": entry["theme"],
                    **flags,
                },
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
