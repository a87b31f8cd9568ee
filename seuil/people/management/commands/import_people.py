import gc
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from seuil.people.importing import ENCODINGS, OPTIONAL, REQUIRED, parse_people_csv
from seuil.people.models import Person


class Command(BaseCommand):
    help = (
        "Import people from an HR or student CSV feed. "
        f"The header names the columns in any order: {', '.join(REQUIRED)} (required), "
        f"{', '.join(OPTIONAL)} (optional). Delimiter ';' or ','; UTF-8 with or without BOM, or "
        "cp1252 (Windows Excel) when --encoding cp1252 says so: an encoding is never guessed; "
        "dates YYYY-MM-DD or DD/MM/YYYY. Rows are upserted by (staff or student, external_id): "
        "a newcomer gets a login and a mail address, homonyms numbered in file order; a known "
        "person gets the feed's names, dates and personal e-mail but keeps login and address. "
        "Any bad row is reported as 'ligne N : raison', nothing is written and the exit code is 1. "
        "Every person created is listed with the login and address given (HR prints the letters "
        "from it); -v 2 also lists the updates."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the CSV file")
        parser.add_argument("--dry-run", action="store_true", help="report, write nothing")
        parser.add_argument(
            "--encoding", choices=ENCODINGS, default="utf-8", help="the file's (default utf-8)"
        )

    def handle(
        self,
        *args: Any,
        file: Path,
        dry_run: bool,
        encoding: str,
        verbosity: int,
        **options: Any,
    ) -> None:
        try:
            data = file.read_bytes()
        except OSError as error:
            reason = _("impossible de lire %(file)s : %(error)s")
            raise CommandError(reason % {"file": file, "error": error.strerror}) from None
        # A feed holds up to a few hundred thousand objects at once: the cyclic collector would
        # rescan them all, again and again, for cycles they do not form. Reference counting
        # still frees them; the collector comes back at the end.
        gc.disable()
        try:
            self._import(data, encoding, dry_run, verbosity)
        finally:
            gc.enable()

    def _import(self, data: bytes, encoding: str, dry_run: bool, verbosity: int) -> None:
        people, errors = parse_people_csv(data, encoding)
        for line in errors:
            self.stderr.write(line)
        if errors:
            raise CommandError(
                _("%(count)d ligne(s) en erreur : rien n'a été importé.") % {"count": len(errors)},
                returncode=1,
            )
        result = Person.objects.import_rows(people, dry_run=dry_run, progress=self._progress)
        if verbosity > 0 and result.created:  # the logins given: HR needs them for the letters
            # One write: 100,000 of them through OutputWrapper took 0.2 s.
            lines = (
                f"+ {p.external_id} {p} → {p.account.login} {p.account.mail}"
                for p in result.created
            )
            self.stdout.write("\n".join(lines))
        if dry_run or verbosity > 1:
            for person, changed in result.updated:
                self.stdout.write(f"~ {person.external_id} {person}: {', '.join(changed)}")
        created, updated = len(result.created), len(result.updated)
        summary = ", ".join(
            [
                ngettext("%(n)d personne créée", "%(n)d personnes créées", created)
                % {"n": created},
                ngettext("%(n)d mise à jour", "%(n)d mises à jour", updated) % {"n": updated},
                ngettext("%(n)d inchangée", "%(n)d inchangées", result.unchanged)
                % {"n": result.unchanged},
            ]
        )
        suffix = _(" (essai à blanc : rien n'a été écrit)") if dry_run else ""
        self.stdout.write(summary + suffix)

    def _progress(self, done: int, total: int) -> None:
        self.stderr.write(f"  {done}/{total}")
