from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.debug import sensitive_variables

from seuil.activation.letter import Letter, render_letters
from seuil.activation.models import Sesame
from seuil.core import bulk, commands
from seuil.people.models import Person, Status


class Command(commands.Command):
    rules = gettext_lazy(
        "Émet un Sésame pour des personnes enregistrées (personnels ou étudiants) : pour les "
        "LOGIN donnés, ou avec --not-activated pour toutes celles qui n'ont pas encore activé "
        "leur compte (--status garde un statut). Émettre révoque le Sésame précédent de chaque "
        "personne ; un Sésame vaut SEUIL_SESAME_DAYS jours, sert une fois, et n'est gardé que "
        "sous forme de hachage à clé. --letter écrit un seul PDF A4 imprimable, une lettre par "
        "personne. Tous sont émis dans une transaction, ou aucun. Pour un identifiant, le "
        "Sésame est affiché une fois, en dernière ligne de la sortie standard ; pour plusieurs, "
        "chaque ligne est « identifiant Sésame », sauf si --letter les contient. --dry-run dit "
        "qui en recevrait un."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "logins", nargs="*", metavar="LOGIN", help=_("les identifiants des personnes")
        )
        parser.add_argument(
            "--not-activated",
            action="store_true",
            help=_("toutes les personnes enregistrées qui n'ont pas encore activé leur compte"),
        )
        parser.add_argument("--status", choices=Status.values, help=_("avec --not-activated"))
        parser.add_argument("--letter", type=Path, metavar="FILE.pdf", help=_("écrire les lettres"))
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("dire ce qui serait fait, n'émettre aucun Sésame"),
        )

    @sensitive_variables()
    def handle(
        self,
        *args: Any,
        logins: list[str],
        not_activated: bool,
        status: str | None,
        letter: Path | None,
        dry_run: bool,
        **options: Any,
    ) -> None:
        people = self._people(logins, not_activated, status)
        live = set(
            Sesame.objects.live()
            .filter(account__person__in=people)
            .values_list("account__login", flat=True)
        )
        if dry_run:
            for person in people:
                revoke = _(" (le précédent serait révoqué)") if person.account.login in live else ""
                self.stdout.write(
                    _("émettrait un Sésame pour %(login)s%(revoke)s")
                    % {"login": person.account.login, "revoke": revoke}
                )
            self.stdout.write(_("essai à blanc : aucun Sésame émis"))
            return
        issued: list[tuple[Person, Sesame, str]] = []
        with transaction.atomic():
            for number, person in enumerate(people, start=1):
                issued.append((person, *Sesame.issue(person.account)))
                if number % 500 == 0:
                    self.stderr.write(f"  {number}/{len(people)}")
            if letter:
                pdf = render_letters([Letter(p, code, s.expires_at) for p, s, code in issued])
                try:
                    letter.write_bytes(pdf)
                except OSError as error:
                    raise CommandError(
                        _("impossible d'écrire %(file)s : %(error)s")
                        % {"file": letter, "error": error.strerror}
                    ) from None
        if len(issued) >= bulk.REFRESH_AFTER:  # an intake's: the activations' plans, right
            bulk.refresh_statistics(Sesame)
        self._report(issued, live, letter)

    def _people(self, logins: list[str], not_activated: bool, status: str | None) -> list[Person]:
        if bool(logins) == not_activated:
            raise CommandError(_("donnez des identifiants, ou --not-activated (pas les deux)"))
        if status and not not_activated:
            raise CommandError(_("--status ne s'emploie qu'avec --not-activated"))
        chosen = Person.objects.select_related("account").order_by("last_name", "first_name")
        if not_activated:
            chosen = chosen.filter(
                account__activated_at__isnull=True,
                account__purged_at__isnull=True,
                account__locked_at__isnull=True,
            )
            return list(chosen.filter(status=status) if status else chosen)
        wanted = list(dict.fromkeys(login.strip().lower() for login in logins))
        found = {p.account.login: p for p in chosen.filter(account__login__in=wanted)}
        unknown = [login for login in wanted if login not in found]
        if unknown:
            raise CommandError(
                ngettext(
                    "aucune personne enregistrée n'a l'identifiant %(logins)s",
                    "aucune personne enregistrée n'a les identifiants %(logins)s",
                    len(unknown),
                )
                % {"logins": ", ".join(unknown)}
            )
        return [found[login] for login in wanted]

    @sensitive_variables()
    def _report(
        self, issued: list[tuple[Person, Sesame, str]], live: set[str], letter: Path | None
    ) -> None:
        if len(issued) == 1:
            person, sesame, code = issued[0]
            expires = formats.date_format(timezone.localtime(sesame.expires_at), "DATE_FORMAT")
            revoked = _(", le précédent est révoqué") if person.account.login in live else ""
            written = _(", lettre dans %(file)s") % {"file": letter} if letter else ""
            self.stdout.write(
                _("Sésame de %(login)s, valable jusqu'au %(date)s%(revoked)s%(written)s :")
                % {
                    "login": person.account.login,
                    "date": expires,
                    "revoked": revoked,
                    "written": written,
                }
            )
            self.stdout.write(code)
            return
        if not letter:
            for person, _sesame, code in issued:
                self.stdout.write(f"{person.account.login} {code}")
        summary = ngettext("%(count)d Sésame émis", "%(count)d Sésames émis", len(issued)) % {
            "count": len(issued)
        }
        if live:
            summary += ngettext(
                ", %(count)d précédent révoqué", ", %(count)d précédents révoqués", len(live)
            ) % {"count": len(live)}
        if letter:
            summary += _(", lettres dans %(file)s") % {"file": letter}
        self.stdout.write(summary)
