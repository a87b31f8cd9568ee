from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from seuil.core import commands
from seuil.directory import alerts, client, probe


class Command(commands.Command):
    rules = gettext_lazy(
        "Vérifie l'annuaire (SEUIL_LDAP_URL) comme seuil s'en sert. Il se connecte en tant que "
        "SEUIL_LDAP_BIND_DN et lit SEUIL_LDAP_PEOPLE_DN ; puis il ÉCRIT une entrée d'essai sous "
        "cette branche (cn=seuil-check-<8 chiffres hexadécimaux>, un inetOrgPerson au mot de "
        "passe {ARGON2} aléatoire), se connecte en tant qu'elle sur une seconde connexion, et "
        "la supprime. --dry-run s'arrête avant l'écriture. Sort avec le code 1, et le message "
        "de l'annuaire lui-même, au moindre problème, et quand l'annuaire a refusé de fermer "
        "des comptes que seuil a fermés (un verrouillage, une expiration, une purge) : leurs "
        "anciens mots de passe ouvrent encore une connexion, et chacun est listé. `seuil check` "
        "de Django (vérifications système, --deploy) ne se connecte jamais à l'annuaire : "
        "qu'il soit arrêté ne doit pas arrêter seuil."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=_("se connecter et lire seulement : n'écrire aucune entrée d'essai"),
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        if not client.configured():
            self.stdout.write(_("Annuaire : SEUIL_LDAP_URL n'est pas défini, rien n'est publié."))
            return
        found = probe.problems(write=not dry_run)
        open_there = alerts.unclosed()
        for item in open_there:
            self.stderr.write(
                _("NON FERMÉ dans l'annuaire : %(login)s : %(error)s")
                % {"login": item.login, "error": item.error}
            )
        if open_there:
            found.append(
                _(
                    "il a refusé de fermer %(count)d compte(s) que seuil a fermé(s) : leurs "
                    "anciens mots de passe ouvrent encore une connexion (listés ci-dessus). "
                    "Donnez au DN de seuil le droit d'écrire userPassword dans la branche des "
                    "personnes (SECURITY.md), puis publiez-les de nouveau."
                )
                % {"count": len(open_there)}
            )
        if found:
            raise CommandError(_("Annuaire : %(problems)s") % {"problems": " ".join(found)})
        if dry_run:
            self.stdout.write(
                _(
                    "Annuaire : la connexion et la branche des personnes vont bien (essai : "
                    "aucune entrée d'essai)."
                )
            )
        else:
            self.stdout.write(
                _(
                    "Annuaire : la connexion, la branche des personnes et les connexions avec "
                    "un mot de passe {ARGON2} vont bien."
                )
            )
