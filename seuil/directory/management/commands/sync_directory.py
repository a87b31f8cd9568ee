import time
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from seuil.accounts.models import Account, AccountChange
from seuil.core import commands
from seuil.directory import client, services
from seuil.directory.client import DirectoryDown
from seuil.directory.push import publishable, push
from seuil.directory.reconcile import Report, reconcile
from seuil.directory.services import Drained
from seuil.lifecycle.services import record_transitions
from seuil.people.attributes import institution_today


class Command(commands.Command):
    # Run every minute from cron: Django's system checks (URLs, templates, the SAML schemas, the
    # keys) are the web server's and `seuil check`'s business, and cost more CPU than a --full
    # of 10,000 entries (#25 §3). The directory's own settings are checked in handle().
    requires_system_checks: list[str] = []
    rules = gettext_lazy(
        "Publie les changements des comptes dans l'annuaire LDAP (SEUIL_LDAP_URL). À lancer "
        "par cron chaque minute : il enregistre d'abord les états que les comptes ont atteints "
        "par leurs dates (un compte qui expire à minuit cesse d'ouvrir une connexion dans la "
        "minute, pas au passage de la nuit), puis publie ce qui attend, l'entrée actuelle de "
        "chaque compte, par lots (un import de 20 000 personnes est publié ici, pas une à une "
        "pendant l'import). Rejouer une publication ne change rien. Un annuaire arrêté ne coûte "
        "rien : les changements attendent le passage suivant. Un changement que l'annuaire "
        "refuse est réessayé avec un délai croissant (son message est gardé), puis montré en "
        "échec dans l'admin ; il ne retient jamais les autres comptes. --full lit toute la "
        "branche des personnes (par pages), corrige ce qui diffère, recrée ce qui manque, et "
        "signale les entrées que seuil ne connaît pas ; --prune les supprime. --dry-run dit ce "
        "qui serait écrit et n'écrit rien."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help=_("réconcilier toute la branche"))
        parser.add_argument(
            "--prune",
            action="store_true",
            help=_("avec --full : supprimer les entrées que seuil ne connaît pas"),
        )
        parser.add_argument("--dry-run", action="store_true", help=_("ne rien écrire"))
        parser.add_argument(
            "--batch",
            type=int,
            default=services.BATCH,
            help=_("changements par lot (500 par défaut)"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not client.configured():
            raise CommandError(
                _("SEUIL_LDAP_URL n'est pas défini : il n'y a pas d'annuaire où écrire.")
            )
        if options["prune"] and not options["full"]:
            raise CommandError(_("--prune ne va qu'avec --full."))
        if options["batch"] < 1:
            raise CommandError(_("--batch vaut au moins 1."))
        started = time.monotonic()
        try:
            if options["full"]:
                summary = self.full(dry_run=options["dry_run"], prune=options["prune"])
            elif options["dry_run"]:
                summary = self.preview(options["batch"])
            else:
                with transaction.atomic():
                    moved = record_transitions(today=institution_today())
                drained = services.drain(batch=options["batch"], progress=self.drained)
                summary = _("Publié : %(summary)s") % {"summary": drained.summary()}
                if moved.transitions:
                    summary += _(", après avoir enregistré %(moved)s") % {"moved": moved}
        except DirectoryDown as error:
            raise CommandError(
                _(
                    "L'annuaire est injoignable (%(error)s) ; les changements attendent le "
                    "prochain passage."
                )
                % {"error": error}
            ) from None
        suffix = _(" (essai : rien n'a été écrit)") if options["dry_run"] else ""
        seconds = f"{time.monotonic() - started:.1f}"
        self.stdout.write(
            _("%(summary)s en %(seconds)s s%(suffix)s.")
            % {"summary": summary, "seconds": seconds, "suffix": suffix}
        )

    def full(self, *, dry_run: bool, prune: bool) -> str:
        conn = client.connect()
        try:
            report = reconcile(conn, dry_run=dry_run, prune=prune, progress=self.reconciled)
        finally:
            conn.unbind_s()
        unknown = _("inconnue de seuil (supprimée) : %(dn)s") if prune and not dry_run else None
        for dn in report.unknown[:50]:
            self.stdout.write((unknown or _("inconnue de seuil : %(dn)s")) % {"dn": dn})
        if len(report.unknown) > 50:
            more = len(report.unknown) - 50
            self.stdout.write(_("… et %(more)d autres entrées inconnues") % {"more": more})
        for key, error in report.refused.items():
            self.stderr.write(_("refusé (%(key)s) : %(error)s") % {"key": key, "error": error})
        return _("Réconcilié : %(summary)s") % {"summary": report.summary()}

    def preview(self, batch: int) -> str:
        ids = sorted(set(AccountChange.objects.due().values_list("account_id", flat=True)))
        conn = client.connect()
        total = Drained(accounts=len(ids))
        try:
            for start in range(0, len(ids), batch):
                accounts = publishable(Account.objects.all()).filter(
                    pk__in=ids[start : start + batch]
                )
                services._add(total.pushed, push(conn, list(accounts), dry_run=True))
        finally:
            conn.unbind_s()
        return _("À publier : %(summary)s") % {"summary": total.summary()}

    def drained(self, total: Drained) -> None:
        if self.stdout.isatty() or total.accounts % 10_000 < services.BATCH:
            self.stderr.write(_("… %(n)d comptes publiés") % {"n": total.accounts})

    def reconciled(self, report: Report) -> None:
        if report.read % 10_000 < 1000 or self.stdout.isatty():
            self.stderr.write(
                _("… %(read)d entrées lues, %(added)d ajoutées")
                % {"read": report.read, "added": report.added}
            )
