"""How the person behind each authorization code proved who they are (RFC 8176 methods, with
their times), from the browser's session to the token endpoint's back channel, where the ID
token's `acr` and `amr` are made. Keyed by the code's SHA-256, kept as long as a code lives."""

import hashlib
from datetime import timedelta
from typing import ClassVar

from django.db import models
from django.utils import timezone

KEPT_FOR = timedelta(minutes=10)  # codes live 60 s (AUTHORIZATION_CODE_EXPIRE_SECONDS)


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()


class CodeMethodsQuerySet(models.QuerySet["CodeMethods"]):
    def record(self, code: str, methods: dict[str, float]) -> None:
        now = timezone.now()
        self.filter(created_at__lt=now - KEPT_FOR).delete()
        self.create(code=_digest(code), methods=methods, created_at=now)

    def of(self, code: str) -> dict[str, float]:
        found = self.filter(code=_digest(code)).values_list("methods", flat=True).first()
        return dict(found) if isinstance(found, dict) else {}


class CodeMethods(models.Model):
    code = models.CharField(max_length=64, unique=True)
    methods = models.JSONField(default=dict)
    created_at = models.DateTimeField(db_index=True)

    objects: ClassVar[CodeMethodsQuerySet] = CodeMethodsQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "méthodes d'authentification d'un code"

    def __str__(self) -> str:
        return ", ".join(sorted(self.methods))
