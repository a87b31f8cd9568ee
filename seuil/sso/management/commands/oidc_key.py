import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from jwcrypto import jwk

from seuil.core import commands


class Command(commands.Command):
    # It makes the key that the checks require: it must run on a configuration without one.
    requires_system_checks: list[str] = []
    rules = gettext_lazy(
        "Écrit une nouvelle clé de signature RSA pour OpenID Connect (2048 bits, PEM, mode "
        "0600) dans PATH, pour SEUIL_OIDC_KEY_FILE. N'écrase jamais un fichier. Pour changer de "
        "clé : faites pointer SEUIL_OIDC_KEY_FILE sur la nouvelle et listez l'ancienne dans "
        "SEUIL_OIDC_OLD_KEY_FILES jusqu'à ce que ses jetons aient expiré (docs/sso.md). Affiche "
        "l'identifiant de la clé (kid)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help=_("faire la clé, ne rien écrire")
        )

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
                raise CommandError(
                    _("impossible de créer %(path)s : %(error)s")
                    % {"path": path, "error": error.strerror}
                ) from None
            with os.fdopen(fd, "wb") as file:
                file.write(pem)
        if dry_run:
            done = _("clé de signature OIDC %(kid)s non écrite (essai)") % {"kid": kid}
        else:
            done = _("clé de signature OIDC %(kid)s écrite dans %(path)s") % {
                "kid": kid,
                "path": path,
            }
        self.stdout.write(done)
