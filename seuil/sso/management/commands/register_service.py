from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from seuil.core import commands
from seuil.sso.models import Claim, Service, Theme
from seuil.sso.registration import service_options


def _list(value: str | None) -> list[str] | None:
    return None if value is None else [item.strip() for item in value.split(",") if item.strip()]


def _stripped(value: str | None) -> str | None:
    return None if value is None else value.strip()


def _registry_arguments(parser: CommandParser) -> None:
    """The registry's own options; each `dest` is a keyword of `Service.objects.register`, and
    `_registry_values` says how its text becomes the value."""
    parser.add_argument(
        "--url", help=_("où mène le lien de Mon ENT (requis pour un nouveau service)")
    )
    parser.add_argument(
        "--theme",
        choices=Theme.values,
        help=_("sa rubrique dans Mon ENT (requise pour un nouveau service)"),
    )
    parser.add_argument(
        "--for",
        dest="statuses",
        metavar="STATUS[,STATUS…]",
        help=_(
            "les statuts auxquels il est destiné, à la place des précédents (requis pour un "
            "nouveau service)"
        ),
    )
    parser.add_argument("--description", help=_("une ligne sous le nom dans Mon ENT"))
    parser.add_argument("--name-en", help=_("NAME sur les pages en anglais ; '' le retire"))
    parser.add_argument(
        "--description-en", help=_("--description sur les pages en anglais ; '' la retire")
    )
    parser.add_argument("--oidc-redirect-uri", dest="redirect_uris", action="append", metavar="URI")
    parser.add_argument(
        "--oidc-post-logout-uri", dest="post_logout_uris", action="append", metavar="URI"
    )
    parser.add_argument("--claims", metavar="CLAIM,…")
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--hidden", action="store_const", const=True, dest="hidden")
    shown.add_argument("--shown", action="store_const", const=False, dest="hidden")
    parser.add_argument(
        "--new-secret", action="store_true", help=_("remplacer le secret du client")
    )
    mfa = parser.add_mutually_exclusive_group()
    mfa.add_argument(
        "--require-mfa", action="store_const", const=True, dest="require_mfa",
        help=_("un code ou un ticket seulement après un second facteur (docs/mfa.md)"),
    )  # fmt: skip
    mfa.add_argument("--no-require-mfa", action="store_const", const=False, dest="require_mfa")


def _registry_values(options: dict[str, Any]) -> dict[str, Any]:
    """`Service.objects.register`'s keywords from the parsed options; None keeps the value."""
    return {
        "name": options["name"].strip(),
        "url": options["url"],
        "theme": options["theme"],
        "statuses": _list(options["statuses"]),
        "description": options["description"],
        "name_en": _stripped(options["name_en"]),
        "description_en": options["description_en"],
        "redirect_uris": options["redirect_uris"],
        "post_logout_uris": options["post_logout_uris"],
        "claims": _list(options["claims"]),
        "hidden": options["hidden"],
        "new_secret": options["new_secret"],
        "require_mfa": options["require_mfa"],
    }


class Command(commands.Command):
    rules = format_lazy(
        gettext_lazy(
            "Enregistre un service de l'ENT, ou met à jour celui de ce NAME ; ce qui n'est pas "
            "donné est gardé, si bien qu'une mise à jour ne nomme que ce qui change. Un nouveau "
            "service demande --url, --theme et --for. --for liste les statuts auxquels il est "
            "destiné (etudiant, administratif, enseignant, enseignant-chercheur) : les autres ne "
            "le voient nulle part et il les refuse. Un premier --oidc-redirect-uri en fait un "
            "client OpenID Connect : client_id et client_secret sont alors affichés, une seule "
            "fois ; le secret est gardé haché, et --new-secret le remplace. --claims liste ce "
            "qu'il peut recevoir ({claims}) ; un nouveau service reçoit les claims profile et "
            "email. --name-en et --description-en sont ce que montrent les pages en anglais à "
            "la place du nom et de la description en français ; vide, l'un ou l'autre est "
            "retiré, et le français revient. --hidden le retire de Mon ENT, --shown l'y remet. "
            "--cas-service PRÉFIXE-D-URL (répétable) permet aux URL sous chaque préfixe de "
            "recevoir des tickets CAS, et --cas-proxy-callback PRÉFIXE-D-URL d'y recevoir des "
            "tickets d'octroi de proxy ; donnés, ils remplacent les préfixes de ce genre du "
            "service. --require-mfa : le service ne reçoit un code ou un ticket qu'une fois que "
            "la session a utilisé un second facteur (une clé d'accès ou une application "
            "d'authentification) ; la personne en est priée sans le mot de passe, et "
            "--no-require-mfa le lève. La moindre erreur arrête la commande et rien n'est "
            "écrit."
        ),
        claims=", ".join(Claim.values),
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        _registry_arguments(parser)
        for extension in service_options():
            extension.arguments(parser)
        parser.add_argument(
            "--dry-run", action="store_true", help=_("dire ce qui serait fait, ne rien écrire")
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        try:
            with transaction.atomic():
                done = Service.objects.register(**_registry_values(options))
                said = [extension.apply(done.service, options) for extension in service_options()]
                if dry_run:
                    transaction.set_rollback(True)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if done.client_secret and not dry_run:
            # Shown once: only its digest is kept.
            self.stdout.write(f"client_id: {done.client_id}")
            self.stdout.write(f"client_secret: {done.client_secret}")
        verb = _("créé") if done.created else _("mis à jour")
        parts = [_("client OIDC %(id)s") % {"id": done.client_id}] if done.client_id else []
        parts += [words for words in said if words]
        suffix = _(" (essai : rien n'a été écrit)") if dry_run else ""
        summary = "".join(f", {part}" for part in parts)
        self.stdout.write(
            _("service « %(name)s » %(verb)s") % {"name": done.service.name, "verb": verb}
            + summary
            + suffix
        )
