import csv
from typing import Any

from django.core.management.base import CommandParser
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from seuil.core import commands
from seuil.people.models import Person, Status

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP's list for CSV injection
COLUMNS = ("external_id", "status", "first_name", "last_name", "login", "mail", "account_state")


class Command(commands.Command):
    rules = format_lazy(
        gettext_lazy(
            "Écrit les personnes en CSV sur la sortie standard, une ligne par personne : "
            "{columns}. « mail » est l'adresse institutionnelle réservée ou active ; "
            "« account_state » est le sous-état SupAnn du compte (SupannCree avant "
            "l'activation). Une cellule qui commence par =, +, -, @, une tabulation ou un retour "
            "chariot reçoit une ' en tête, pour qu'aucun tableur ne l'exécute comme une formule. "
            "Lecture seule ; --status garde un statut. --excel écrit ce qu'Excel en français "
            "ouvre tel quel : « ; » entre les colonnes, une marque d'ordre des octets UTF-8 et "
            "des fins de ligne CRLF."
        ),
        columns=", ".join(COLUMNS),
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--status", choices=Status.values, help=_("seulement les personnes de ce statut")
        )
        parser.add_argument(
            "--excel", action="store_true", help=_("pour Excel en français : « ; », un BOM, CRLF")
        )

    def handle(self, *args: Any, status: str | None, excel: bool, **options: Any) -> None:
        people = Person.objects.select_related("account").order_by("pk")
        if status:
            people = people.filter(status=status)
        if excel:
            self.stdout.write("\ufeff", ending="")  # without it, Excel reads UTF-8 as cp1252
        writer = csv.writer(
            self.stdout, delimiter=";" if excel else ",", lineterminator="\r\n" if excel else "\n"
        )
        writer.writerow(COLUMNS)
        for person in people.iterator(chunk_size=5000):
            account = person.account
            row = (person.external_id, person.status, person.first_name, person.last_name)
            cells = (*row, account.login, account.mail, account.supann_state())
            writer.writerow([inert(cell) for cell in cells])


def inert(cell: str | None) -> str:
    """A cell a spreadsheet will not run: one that starts like a formula gets a leading quote, as
    OWASP advises (a name like =HYPERLINK(…) became a live link in LibreOffice)."""
    text = cell or ""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
