"""seuil rotate_mfa_key [--dry-run]"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from seuil.mfa import crypto
from seuil.mfa.models import TotpDevice


class Command(BaseCommand):
    help = (
        "Re-encrypt every TOTP shared key under the first key of SEUIL_MFA_KEY (or the one "
        "derived from SEUIL_SECRET_KEY). Put the new key first, keep the old one after it, run "
        "this, then remove the old key. Stops, changing nothing, if a key cannot be decrypted "
        "by any key in use."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="check, and change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        cipher = crypto.cipher()
        done = 0
        with transaction.atomic():
            devices = TotpDevice.objects.select_for_update().only("pk", "encrypted_key")
            for device in devices.iterator(chunk_size=500):
                if crypto.decrypt(device.encrypted_key) is None:
                    raise CommandError(
                        f"TOTP key {device.pk} opens with no key in use: nothing changed"
                    )
                rotated = cipher.rotate(device.encrypted_key.encode("ascii")).decode("ascii")
                if not options["dry_run"]:
                    TotpDevice.objects.filter(pk=device.pk).update(encrypted_key=rotated)
                done += 1
                if done % 1000 == 0:
                    self.stdout.write(f"{done} keys…")
        verb = "would re-encrypt" if options["dry_run"] else "re-encrypted"
        self.stdout.write(f"{verb} {done} TOTP keys under the first key")
