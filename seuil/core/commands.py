"""A management command whose --help speaks the operator's language."""

from typing import Any, ClassVar

from django.core.management.base import BaseCommand, CommandParser
from django.utils.functional import Promise


class Command(BaseCommand):
    """`rules` is what `help` is to Django, but a lazy translation (French, English in locale/en):
    argparse wants text, so it is made when the parser is, in the language then active (the
    operator's, which seuil's command line chooses). Arguments' help is made by `add_arguments`,
    at that moment too: a plain gettext there is in the right language."""

    rules: ClassVar[str | Promise] = ""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        self.help = str(self.rules)
        return super().create_parser(prog_name, subcommand, **kwargs)
