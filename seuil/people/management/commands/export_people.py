import csv
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from seuil.people.models import Person, Status

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP's list for CSV injection
COLUMNS = ("external_id", "status", "first_name", "last_name", "login", "mail", "account_state")


class Command(BaseCommand):
    help = (
        "Write people as CSV to stdout, one row per person: "
        f"{', '.join(COLUMNS)}. 'mail' is the reserved or active institutional address; "
        "'account_state' is the SupAnn sub-state of the account (SupannCree before activation). "
        "A cell that starts with =, +, -, @, a tab or a carriage return gets a leading ' so that "
        "no spreadsheet runs it as a formula. Read-only; --status keeps one status. --excel "
        "writes what French Excel opens as it is: ';' between columns, a UTF-8 byte order mark "
        "and CRLF line ends."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--status", choices=Status.values, help="only people of this status")
        parser.add_argument(
            "--excel", action="store_true", help="for French Excel: ';', a BOM, CRLF"
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
