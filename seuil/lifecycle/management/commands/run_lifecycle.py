from typing import Any

from django.core.management.base import CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from seuil.core import commands
from seuil.lifecycle.services import run


class Command(commands.Command):
    rules = gettext_lazy(
        "La tâche quotidienne (cron, une fois par nuit). Elle applique l'état SupAnn que chaque "
        "compte a atteint et l'enregistre : précréé → créé, actif → grâce (un rappel est "
        "envoyé) → expiré (ses Sésames sont révoqués), et retour quand un flux apporte un "
        "nouveau rattachement. Elle envoie un second rappel une semaine avant la fermeture d'un "
        "compte, purge les données personnelles des comptes expirés depuis "
        "SEUIL_RETENTION_DAYS (identifiant et adresse gardés), et efface les compteurs de "
        "limitation périmés. Idempotente ; une transaction ; les règles valent de toute façon "
        "entre deux passages."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help=_("dire ce qui serait fait, ne rien changer")
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        with transaction.atomic():
            summary = run(today=timezone.localdate(), progress=self._progress)
            if dry_run:
                transaction.set_rollback(True)  # nothing written, and no mail leaves
        self.stdout.write(
            f"run_lifecycle: {summary}" + (_(" (essai : rien n'a changé)") if dry_run else "")
        )

    def _progress(self, done: int) -> None:
        if done % 10_000 == 0:
            self.stderr.write(_("  %(done)d comptes") % {"done": done})
