import json
from datetime import UTC, date, datetime, time
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from seuil.audit.models import Action, AuditEvent
from seuil.core import commands


def day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(_("pas une date (AAAA-MM-JJ) : « %(text)s »") % {"text": text}) from None


class Command(commands.Command):
    rules = gettext_lazy(
        "Écrit le journal d'audit en lignes JSON sur la sortie standard, du plus ancien au plus "
        "récent : at (UTC, ISO 8601), action, outcome, actor, account (identifiant), ip, "
        "detail. Aucun événement ne contient jamais de secret. --since et --until (AAAA-MM-JJ, "
        "jours locaux, inclus) et --action le restreignent ; le nombre va sur la sortie "
        "d'erreur. --dry-run compte seulement. Lecture seule."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", type=day, help=_("premier jour, AAAA-MM-JJ"))
        parser.add_argument("--until", type=day, help=_("dernier jour, AAAA-MM-JJ"))
        parser.add_argument("--action", choices=Action.values)
        parser.add_argument("--dry-run", action="store_true", help=_("compter, ne rien écrire"))

    def handle(
        self,
        *args: Any,
        since: date | None,
        until: date | None,
        action: str | None,
        dry_run: bool,
        **options: Any,
    ) -> None:
        events = AuditEvent.objects.select_related("account").order_by("at", "pk")
        zone = timezone.get_current_timezone()
        if since:
            events = events.filter(at__gte=datetime.combine(since, time.min, zone))
        if until:
            events = events.filter(at__lte=datetime.combine(until, time.max, zone))
        if action:
            events = events.filter(action=action)
        count = 0
        for event in events.iterator(chunk_size=5000):
            count += 1
            if not dry_run:
                self.stdout.write(json.dumps(_line(event), ensure_ascii=False))
        said = _("%(count)s événement(s)") % {"count": count}
        if dry_run:
            said += _(" (essai : rien n'a été écrit)")
        self.stderr.write(said)


def _line(event: AuditEvent) -> dict[str, Any]:
    return {
        "at": event.at.astimezone(UTC).isoformat(),
        "action": event.action,
        "outcome": event.outcome,
        "actor": event.actor,
        "account": event.account.login if event.account else None,
        "ip": event.ip,
        "detail": event.detail,
    }
