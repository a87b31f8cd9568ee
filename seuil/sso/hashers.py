"""How OIDC client secrets are stored: salted SHA-256, not Argon2.

A client secret is 64 random URL-safe characters (384 bits) that seuil generates itself, so no
guessing attack can reach it and a slow hash buys nothing; Argon2 would instead cost ~16 ms of CPU
on every token request. django-oauth-toolkit hashes secrets with the hasher named by its
CLIENT_SECRET_HASHER setting, which must be listed in PASSWORD_HASHERS (after the password one, so
no password is ever stored this way).
"""

import hashlib
import secrets
from typing import Any

from django.contrib.auth.hashers import BasePasswordHasher, mask_hash
from django.utils.crypto import constant_time_compare


class ClientSecretHasher(BasePasswordHasher):
    algorithm = "sha256_secret"

    def salt(self) -> str:
        return secrets.token_hex(8)

    def encode(self, password: str, salt: str) -> str:
        if not salt or "$" in salt:
            raise ValueError("a salt without $ is required")
        digest = hashlib.sha256(f"{salt}${password}".encode()).hexdigest()
        return f"{self.algorithm}${salt}${digest}"

    def decode(self, encoded: str) -> dict[str, Any]:
        algorithm, salt, digest = encoded.split("$", 2)
        assert algorithm == self.algorithm  # noqa: S101 -- identify_hasher chose this hasher
        return {"algorithm": algorithm, "hash": digest, "salt": salt}

    def verify(self, password: str, encoded: str) -> bool:
        salt = self.decode(encoded)["salt"]
        return constant_time_compare(encoded, self.encode(password, salt))

    def safe_summary(self, encoded: str) -> dict[Any, Any]:
        decoded = self.decode(encoded)
        return {"algorithm": decoded["algorithm"], "hash": mask_hash(decoded["hash"])}

    def must_update(self, encoded: str) -> bool:
        return False

    def harden_runtime(self, password: str, encoded: str) -> None:
        """Nothing to even out: every secret costs the same one digest."""
