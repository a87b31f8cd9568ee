import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from seuil.core import commands

# Federations want long-lived self-signed certificates: trust comes from the metadata, not from
# a CA, and a rollover is announced there weeks ahead (docs/saml.md).
YEARS = 10


def key_and_certificate(common_name: str) -> tuple[bytes, bytes]:
    """An RSA 3072 key and its self-signed certificate, signed with SHA-256, both PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * YEARS))
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem, certificate.public_bytes(serialization.Encoding.PEM)


class Command(commands.Command):
    rules = format_lazy(
        gettext_lazy(
            "Écrit les clés du fournisseur d'identité SAML dans DIR : signing-key.pem, "
            "signing-cert.pem, encryption-key.pem, encryption-cert.pem (RSA 3072, certificats "
            "autosignés SHA-256 valables {years} ans, clés en mode 0600), pour "
            "SEUIL_SAML_KEY_DIR. Tourne sur une configuration de production dont "
            "SEUIL_SAML_KEY_DIR nomme un répertoire encore sans clés. N'écrase jamais un "
            "fichier : il écrit les quatre ou aucun."
        ),
        years=YEARS,
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dir", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help=_("faire les clés, ne rien écrire")
        )

    def handle(self, *args: Any, dir: Path, dry_run: bool, **options: Any) -> None:
        host = settings.SEUIL_SAML_ENTITY_ID.split("://")[-1].split("/")[0]
        files: dict[str, bytes] = {}
        for use in ("signing", "encryption"):
            key, certificate = key_and_certificate(host)
            files[f"{use}-key.pem"], files[f"{use}-cert.pem"] = key, certificate
        taken = [name for name in files if (dir / name).exists()]
        if taken:
            raise CommandError(
                _("%(dir)s contient déjà %(files)s : rien n'a été écrit")
                % {"dir": dir, "files": ", ".join(taken)}
            )
        if not dry_run:
            dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            for name, content in files.items():
                mode = 0o600 if name.endswith("key.pem") else 0o644
                try:
                    fd = os.open(dir / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
                except OSError as error:
                    raise CommandError(
                        _("impossible de créer %(path)s : %(error)s")
                        % {"path": dir / name, "error": error.strerror}
                    ) from None
                with os.fdopen(fd, "wb") as file:
                    file.write(content)
        if dry_run:
            done = _("clés SAML de signature et de chiffrement non écrites (essai)")
        else:
            done = _("clés SAML de signature et de chiffrement écrites dans %(dir)s") % {"dir": dir}
        self.stdout.write(done)
