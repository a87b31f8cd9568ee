import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.management.base import BaseCommand, CommandError, CommandParser
from jwcrypto import jwk


class Command(BaseCommand):
    # It makes the key that the checks require: it must run on a configuration without one.
    requires_system_checks: list[str] = []
    help = (
        "Write a new RSA signing key for OpenID Connect (2048 bits, PEM, mode 0600) to PATH, for "
        "SEUIL_OIDC_KEY_FILE. Never overwrites a file. To rotate: point SEUIL_OIDC_KEY_FILE at the "
        "new key and list the old one in SEUIL_OIDC_OLD_KEY_FILES until its tokens have expired "
        "(docs/sso.md). Prints the key's id (kid)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="make the key, write nothing")

    def handle(self, *args: Any, path: Path, dry_run: bool, **options: Any) -> None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        kid = jwk.JWK.from_pem(pem).thumbprint()
        if not dry_run:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except OSError as error:
                raise CommandError(f"cannot create {path}: {error.strerror}") from None
            with os.fdopen(fd, "wb") as file:
                file.write(pem)
        where = "not written (dry run)" if dry_run else f"written to {path}"
        self.stdout.write(f"OIDC signing key {kid} {where}")
