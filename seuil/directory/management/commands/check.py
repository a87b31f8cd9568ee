from typing import Any

from django.core.management.base import CommandError
from django.core.management.commands.check import Command as DjangoCheck

from seuil.directory import client, probe


class Command(DjangoCheck):
    help = (
        "Django's system checks, then the directory's, when SEUIL_LDAP_URL is set: seuil binds "
        "as SEUIL_LDAP_BIND_DN, finds SEUIL_LDAP_PEOPLE_DN, and adds a probe entry with an "
        "{ARGON2} password that must then bind (the probe is removed at once). The directory is "
        "checked here only, not before every command: it being down must not stop seuil."
    )

    def handle(self, *app_labels: Any, **options: Any) -> None:
        super().handle(*app_labels, **options)
        if not client.configured():
            self.stdout.write("Directory: SEUIL_LDAP_URL is not set, nothing is provisioned.")
            return
        found = probe.problems()
        if found:
            raise CommandError("Directory: " + " ".join(found))
        self.stdout.write("Directory: bind, people branch and {ARGON2} binds are all right.")
