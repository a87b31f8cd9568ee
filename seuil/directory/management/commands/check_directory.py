from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from seuil.directory import alerts, client, probe


class Command(BaseCommand):
    help = (
        "Probe the directory (SEUIL_LDAP_URL) as seuil uses it. It binds as SEUIL_LDAP_BIND_DN "
        "and reads SEUIL_LDAP_PEOPLE_DN; then it WRITES a probe entry under that branch "
        "(cn=seuil-check-<8 hex digits>, an inetOrgPerson with a random {ARGON2} password), binds "
        "as it on a second connection, and deletes it. --dry-run stops before the write. Exits "
        "1, with the directory's own message, on any problem, and when the directory refused to "
        "close accounts that seuil closed (a lock, an expiry, a purge): their old passwords "
        "still bind, and each is listed. Django's `seuil check` (system "
        "checks, --deploy) never connects to the directory: it being down must not stop seuil."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="bind and read only: write no probe entry"
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        if not client.configured():
            self.stdout.write("Directory: SEUIL_LDAP_URL is not set, nothing is provisioned.")
            return
        found = probe.problems(write=not dry_run)
        open_there = alerts.unclosed()
        for item in open_there:
            self.stderr.write(f"NOT CLOSED in the directory: {item.login}: {item.error}")
        if open_there:
            found.append(
                f"it refused to close {len(open_there)} account(s) that seuil closed: their old "
                "passwords still bind (listed above). Give seuil's DN write access to "
                "userPassword in the people branch (SECURITY.md), then push them again."
            )
        if found:
            raise CommandError("Directory: " + " ".join(found))
        if dry_run:
            self.stdout.write(
                "Directory: bind and people branch are all right (dry run: no probe)."
            )
        else:
            self.stdout.write("Directory: bind, people branch and {ARGON2} binds are all right.")
