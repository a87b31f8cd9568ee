from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from seuil.activation.letter import Letter, render_letters
from seuil.activation.models import Sesame
from seuil.people.models import Person


class Command(BaseCommand):
    help = (
        "Issue a Sésame for a registered person (staff or student) and print it once, as the last "
        "line of stdout; it is stored only as a keyed hash. Issuing revokes the person's previous "
        "Sésame. It is valid SEUIL_SESAME_DAYS days and can be used once. --letter also writes the "
        "printable A4 letter to hand over. --dry-run says what would happen and issues nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("login", help="the person's login")
        parser.add_argument("--letter", type=Path, metavar="FILE.pdf", help="write the letter")
        parser.add_argument("--dry-run", action="store_true", help="report, issue nothing")

    @sensitive_variables()
    def handle(
        self, *args: Any, login: str, letter: Path | None, dry_run: bool, **options: Any
    ) -> None:
        person = (
            Person.objects.select_related("account")
            .filter(account__login=login.strip().lower())
            .first()
        )
        if person is None:
            raise CommandError(f"no registered person has the login {login!r}")
        live = Sesame.objects.live().filter(account=person.account).exists()
        if dry_run:
            revoke = " and revoke the previous one" if live else ""
            self.stdout.write(f"would issue a Sésame for {person.account.login}{revoke} (dry run)")
            return
        with transaction.atomic():
            sesame, code = Sesame.issue(person.account)
            if letter:
                pdf = render_letters([Letter(person, code, sesame.expires_at)])
                try:
                    letter.write_bytes(pdf)
                except OSError as error:
                    raise CommandError(f"cannot write {letter}: {error.strerror}") from None
        expires = f"{sesame.expires_at:%Y-%m-%d}"
        revoked = ", previous one revoked" if live else ""
        written = f", letter in {letter}" if letter else ""
        self.stdout.write(
            f"Sésame for {person.account.login}, valid until {expires}{revoked}{written}:"
        )
        self.stdout.write(code)
