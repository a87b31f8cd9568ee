import json
from io import StringIO
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError, CommandParser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from seuil.accounts.models import Account
from seuil.activation.models import Sesame
from seuil.core import commands
from seuil.demo.sites import DemoSite, demo_sites
from seuil.people.importing import parse_people_csv
from seuil.people.models import Person, Status

FEED = Path(__file__).resolve().parents[2] / "people.csv"
SERVICES = Path(__file__).resolve().parents[2] / "services.json"
# Activated with a password printed on each run, to show how the portal differs by status.
READY = {"mdurand": "marie.durand@example.org", "zbronte": "zoe.bronte@example.org"}
# Hyphenated: generated logins never have one, so no person can ever collide with an operator.
ADMIN, HR = "admin-demo", "rh-demo"
# Staff members offered in turn for the activation (one a run, the first not yet activated), and
# the student whose feed has a personal address (the code goes there).
NEWCOMERS = ("90001", "90002", "90003", "90005")
STUDENT = "22600002"
RESET = "rm var/seuil.sqlite3 && make run"
# What the demo OpenID Connect service may receive (the CAS one gets the attributes they map to).
DEMO_CLAIMS = "name,given_name,family_name,preferred_username,email,email_verified,"
DEMO_CLAIMS += "eduperson_affiliation"


class Command(commands.Command):
    rules = gettext_lazy(
        "Charge les données de démonstration de `make run` : des personnels et des étudiants, "
        "un catalogue de services d'exemple et les deux services de démonstration qui "
        "connectent vraiment (OpenID Connect et CAS, servis par `run_demo` à côté de "
        "SEUIL_BASE_URL), deux comptes activés de statuts différents, un opérateur de la DSI "
        "« admin-demo » et une opératrice de la DRH « rh-demo » (groupe RH) dont les mots de "
        "passe sont renouvelés et affichés à chaque passage, et un Sésame neuf pour un "
        "personnel qui n'a pas encore activé son compte. Idempotent : les personnes sont mises "
        "à jour comme par n'importe quel flux. Refuse de tourner sans SEUIL_DEBUG=true."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help=_("dire ce qui serait fait, ne rien écrire")
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("load_demo only runs with SEUIL_DEBUG=true: it prints passwords")
        people, errors = parse_people_csv(FEED.read_bytes())
        if errors:
            raise CommandError("\n".join(errors))
        passwords = {login: get_random_string(12) for login in [ADMIN, HR, *READY]}
        sesame, newcomer, student = "", None, None
        with transaction.atomic():
            result = Person.objects.import_rows(people, dry_run=dry_run)
            if not dry_run:
                self._operator(ADMIN, passwords[ADMIN], superuser=True)
                self._operator(HR, passwords[HR], superuser=False)
                self._services()
                for login, email in READY.items():
                    account = Account.objects.get(login=login)
                    account.set_password(passwords[login])
                    account.recovery_email = email
                    account.activated_at = account.activated_at or timezone.now()
                    account.save()
                newcomer = (
                    Person.objects.exclude(status="etudiant")
                    .filter(external_id__in=NEWCOMERS, account__activated_at__isnull=True)
                    .select_related("account")
                    .order_by("external_id")
                    .first()
                )
                if newcomer is not None:
                    sesame = Sesame.issue(newcomer.account)[1]
                student = Person.objects.filter(
                    status="etudiant", external_id=STUDENT, account__activated_at__isnull=True
                ).first()
        base = settings.SEUIL_BASE_URL
        self.stdout.write(
            _(
                """
  seuil est prêt à %(base)s/ — à essayer :
  1. %(newcomer)s
  2. Connectez-vous à l'ENT : %(base)s/gestion-de-compte/se-connecter/
       enseignant-chercheur : mdurand / %(mdurand)s
       étudiante :            zbronte / %(zbronte)s
     Dans Mon ENT, deux services vous connectent vraiment, sans second mot de passe :
%(sites)s
     Les autres sont des exemples, sans adresse. « Se déconnecter » dans seuil vous
     déconnecte aussi du service CAS (déconnexion unique).
  3. Travaillez comme la DRH dans l'admin : %(base)s/admin/   %(hr)s / %(hr_password)s
       La première connexion demande un second facteur : une clé d'accès, ou une application
       d'authentification (FreeOTP, Aegis, Google Authenticator) dont la page montre le QR code.
       Personnes › choisir quelqu'un › « Émettre un Sésame et imprimer la lettre » donne la
       lettre en PDF.
     Tout, comme la DSI :                      %(admin)s / %(admin_password)s
  4. %(student)s
  5. En ligne de commande, dans n'importe quel terminal (ils lisent .env, comme ce serveur) :
       .venv/bin/seuil export_people --excel > var/personnes.csv
       .venv/bin/seuil issue_sesame --not-activated --letter var/lettres.pdf
       .venv/bin/seuil run_lifecycle --dry-run
"""
            )
            % {
                "base": base,
                "newcomer": self._newcomer(base, newcomer, sesame),
                "mdurand": passwords["mdurand"],
                "zbronte": passwords["zbronte"],
                "sites": self._sites(base),
                "hr": HR,
                "hr_password": passwords[HR],
                "admin": ADMIN,
                "admin_password": passwords[ADMIN],
                "student": self._student(base, student),
            }
        )
        counts = {
            "created": len(result.created),
            "updated": len(result.updated),
            "unchanged": result.unchanged,
        }
        self.stdout.write(
            _("démo : %(created)d créées, %(updated)d mises à jour, %(unchanged)d inchangées")
            % counts
            + (_(" (essai : rien n'a été écrit)") if dry_run else "")
        )

    def _newcomer(self, base: str, newcomer: Person | None, sesame: str) -> str:
        if newcomer is None or not sesame:
            return _(
                "Tous les personnels de la démo ont activé leur compte. Pour recommencer la "
                "démo : %(reset)s"
            ) % {"reset": RESET}
        return _(
            "Activez un compte de personnel : %(url)s\n"
            "       Identifiant: %(login)s    Mot de passe provisoire (Sésame): %(sesame)s\n"
            "     Les mails arrivent dans cette console (SEUIL_EMAIL_BACKEND=console) : suivez "
            "le lien de confirmation."
        ) % {
            "url": f"{base}{reverse('activation:activate')}",
            "login": newcomer.account.login,
            "sesame": sesame,
        }

    def _student(self, base: str, student: Person | None) -> str:
        if student is None:
            return _(
                "L'étudiant de la démo a activé son compte. Pour recommencer la démo : %(reset)s"
            ) % {"reset": RESET}
        return _(
            "Activez un compte d'étudiant : %(url)s\n"
            "       Numéro d'étudiant: %(number)s   Date de naissance: %(birth)s   (le code "
            "s'affiche ici)"
        ) % {
            "url": f"{base}{reverse('activation:student')}",
            "number": student.external_id,
            "birth": f"{student.birth_date:%d/%m/%Y}",
        }

    def _sites(self, base: str) -> str:
        return "\n".join(f"       {site.name + ':':<22}{site.url}" for site in demo_sites(base))

    def _services(self) -> None:
        """The catalogue, registered as IT would (and as docs/sso.md shows)."""
        for site in demo_sites(settings.SEUIL_BASE_URL):
            self._demo_site(site)
        for entry in json.loads(SERVICES.read_text(encoding="utf-8")):
            call_command(
                "register_service",
                entry["name"],
                url=entry["url"],
                theme=entry["theme"],
                statuses=",".join(entry["for"]),
                description=entry["description"],
                name_en=entry["name_en"],
                description_en=entry["description_en"],
                stdout=StringIO(),
            )

    def _demo_site(self, site: DemoSite) -> None:
        """A demonstration service, at the address `run_demo` serves it (SEUIL_BASE_URL's port
        and the next two): registered again on each run, so that it follows the port."""
        if site.kind == "oidc":
            protocol: dict[str, Any] = {
                "redirect_uris": [f"{site.url}retour/"],
                "post_logout_uris": [f"{site.url}au-revoir/"],
                "claims": DEMO_CLAIMS,
            }
        else:
            protocol = {"cas_services": [site.url]}
        call_command(
            "register_service",
            site.name,
            url=site.url,
            theme="communication",
            statuses=",".join(Status.values),
            description=site.description,
            name_en=site.name_en,
            description_en=site.description_en,
            **protocol,
            stdout=StringIO(),
        )

    def _operator(self, login: str, password: str, *, superuser: bool) -> None:
        operator = Account.objects.filter(login=login).first()
        if operator is None:
            operator = Account.objects.create_superuser(login, password)
        operator.set_password(password)
        operator.is_staff, operator.is_superuser = True, superuser
        operator.save()
        if not superuser:
            operator.groups.set([Group.objects.get(name="RH")])
