"""The `seuil` console script: the project's manage.py."""

import os
import sys
from collections.abc import Mapping


def operator_language(environ: Mapping[str, str]) -> str:
    """The language commands speak to operators: French, like the admin, unless the locale asks
    for English (LC_ALL, then LC_MESSAGES, then LANG, the first one set, as POSIX reads them)."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            return "en" if value.lower().startswith("en") else "fr"
    return "fr"


def _speak_the_operators_language() -> None:
    """Activate it for this thread, the command's; a server's requests choose their own."""
    try:
        import django
        from django.utils import translation

        django.setup()
        translation.activate(operator_language(os.environ))
    except Exception:  # noqa: BLE001 -- settings errors are the command line's to report
        return


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "seuil.settings")
    from django.core.management import execute_from_command_line

    _speak_the_operators_language()

    try:
        execute_from_command_line(sys.argv)
        sys.stdout.flush()
    except BrokenPipeError:
        # `seuil export_people | head`: the reader has what it wanted. Quiet, like any Unix
        # filter; stdout goes to /dev/null so that the flush at exit cannot raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(141)  # 128 + SIGPIPE, what a shell reports for a filter cut short
