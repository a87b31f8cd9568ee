import json
from datetime import UTC, date, datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from seuil.audit.models import Action, AuditEvent


def day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {text!r}") from None


class Command(BaseCommand):
    help = (
        "Write the audit log as JSON lines on stdout, oldest first: at (UTC, ISO 8601), action, "
        "outcome, actor, account (login), ip, detail. No event ever holds a secret. --since and "
        "--until (YYYY-MM-DD, local days, inclusive) and --action narrow it; the count goes to "
        "stderr. --dry-run counts only. Read-only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", type=day, help="first day, YYYY-MM-DD")
        parser.add_argument("--until", type=day, help="last day, YYYY-MM-DD")
        parser.add_argument("--action", choices=Action.values)
        parser.add_argument("--dry-run", action="store_true", help="count, write nothing")

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
        self.stderr.write(f"{count} event(s)" + (" (dry run: nothing written)" if dry_run else ""))


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
