import gc
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from seuil.core import commands
from seuil.people.importing import ENCODINGS, OPTIONAL, REQUIRED, parse_people_csv
from seuil.people.models import Person


class Command(commands.Command):
    rules = format_lazy(
        gettext_lazy(
            "Importe des personnes d'un flux CSV de la DRH ou de la scolarité. L'en-tête nomme "
            "les colonnes dans n'importe quel ordre : {required} (obligatoires), {optional} "
            "(facultatives). Séparateur « ; » ou « , » ; UTF-8 avec ou sans BOM, ou cp1252 "
            "(Excel sous Windows) quand --encoding cp1252 le dit : un encodage n'est jamais "
            "deviné ; dates AAAA-MM-JJ ou JJ/MM/AAAA. Les lignes sont insérées ou mises à jour "
            "par (personnel ou étudiant, external_id) : une nouvelle personne reçoit un "
            "identifiant et une adresse, les homonymes numérotés dans l'ordre du fichier ; une "
            "personne connue reçoit les noms, dates et e-mail personnel du flux mais garde son "
            "identifiant et son adresse. Toute ligne fautive est signalée par « ligne N : "
            "raison », rien n'est écrit et le code de sortie est 1. Chaque personne créée est "
            "listée avec l'identifiant et l'adresse donnés (la DRH en imprime les lettres) ; "
            "-v 2 liste aussi les mises à jour."
        ),
        required=", ".join(REQUIRED),
        optional=", ".join(OPTIONAL),
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help=_("le fichier CSV"))
        parser.add_argument(
            "--dry-run", action="store_true", help=_("dire ce qui serait fait, ne rien écrire")
        )
        parser.add_argument(
            "--encoding",
            choices=ENCODINGS,
            default="utf-8",
            help=_("celui du fichier (utf-8 par défaut)"),
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
