from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.crypto import get_random_string

from seuil.accounts.models import Account
from seuil.people.importing import parse_people_csv
from seuil.people.models import Person

FEED = Path(__file__).resolve().parents[2] / "people.csv"
OPERATOR = "admin-demo"  # a hyphen: generated logins never have one, so no person can collide


class Command(BaseCommand):
    help = (
        "Load the demonstration data of `make run`: a few staff members and students, and an "
        f"operator '{OPERATOR}' whose password is renewed and printed on every run. Idempotent: "
        "people are upserted like any feed. Refuses to run unless SEUIL_DEBUG=true."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="report, write nothing")

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("load_demo only runs with SEUIL_DEBUG=true: it prints a password")
        people, errors = parse_people_csv(FEED.read_bytes())
        if errors:
            raise CommandError("\n".join(errors))
        with transaction.atomic():
            result = Person.objects.import_rows(people, dry_run=dry_run)
            password = get_random_string(16)
            if not dry_run:
                operator = Account.objects.filter(login=OPERATOR).first()
                if operator is None:
                    Account.objects.create_superuser(OPERATOR, password)
                else:
                    operator.set_password(password)
                    operator.save(update_fields=["password"])
        base = settings.SEUIL_BASE_URL
        self.stdout.write(
            f"""
  seuil is ready. Things to try:
  - the registry in the admin: {base}/admin/  ({OPERATOR} / {password})
  - export it:                 .venv/bin/seuil export_people
  - import a feed:             .venv/bin/seuil import_people seuil/demo/people.csv --dry-run
"""
        )
        self.stdout.write(
            f"demo: {len(result.created)} created, {len(result.updated)} updated, "
            f"{result.unchanged} unchanged" + (" (dry run: nothing written)" if dry_run else "")
        )
