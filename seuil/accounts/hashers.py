from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """Django's Argon2id with the institution's costs (default: OWASP's 19 MiB, t=2, p=1).

    Django's own defaults (100 MiB, p=8) cost about 100 ms and 100 MiB per concurrent hash, which a
    September rush on two cores cannot afford. Hashes made with other costs are upgraded on the
    next successful check, as Django does for any change of parameters.
    """

    def params(self) -> Any:
        self.time_cost = settings.SEUIL_ARGON2_TIME_COST
        self.memory_cost = settings.SEUIL_ARGON2_MEMORY_KIB
        self.parallelism = settings.SEUIL_ARGON2_PARALLELISM
        return super().params()
