from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from seuil.sso.models import Claim, Service, Theme
from seuil.sso.registration import service_options


def _list(value: str | None) -> list[str] | None:
    return None if value is None else [item.strip() for item in value.split(",") if item.strip()]


def _stripped(value: str | None) -> str | None:
    return None if value is None else value.strip()


def _registry_arguments(parser: CommandParser) -> None:
    """The registry's own options; each `dest` is a keyword of `Service.objects.register`, and
    `_registry_values` says how its text becomes the value."""
    parser.add_argument("--url", help="where Mon ENT's link leads (needed for a new service)")
    parser.add_argument(
        "--theme", choices=Theme.values, help="its heading in Mon ENT (needed for a new service)"
    )
    parser.add_argument(
        "--for",
        dest="statuses",
        metavar="STATUS[,STATUS…]",
        help="the statuses it is for, replacing the previous ones (needed for a new service)",
    )
    parser.add_argument("--description", help="one line under the name in Mon ENT")
    parser.add_argument("--name-en", help="NAME on pages in English; '' removes it")
    parser.add_argument("--description-en", help="--description on pages in English; '' removes it")
    parser.add_argument("--oidc-redirect-uri", dest="redirect_uris", action="append", metavar="URI")
    parser.add_argument(
        "--oidc-post-logout-uri", dest="post_logout_uris", action="append", metavar="URI"
    )
    parser.add_argument("--claims", metavar="CLAIM,…")
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--hidden", action="store_const", const=True, dest="hidden")
    shown.add_argument("--shown", action="store_const", const=False, dest="hidden")
    parser.add_argument("--new-secret", action="store_true", help="replace the client secret")
    mfa = parser.add_mutually_exclusive_group()
    mfa.add_argument(
        "--require-mfa", action="store_const", const=True, dest="require_mfa",
        help="a code or a ticket only after a second factor (docs/mfa.md)",
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


class Command(BaseCommand):
    help = (
        "Register a service of the ENT, or update the one of that NAME; what is not given is "
        "kept, so an update names only what changes. A new service needs --url, --theme and "
        "--for. --for lists the statuses it is for (etudiant, administratif, enseignant, "
        "enseignant-chercheur): others see it nowhere and it refuses them. A first "
        "--oidc-redirect-uri makes it an OpenID Connect client: client_id and client_secret are "
        "then printed, once; the secret is stored hashed, and --new-secret replaces it. --claims "
        f"lists what it may receive ({', '.join(Claim.values)}); a new service receives the "
        "profile and email claims. --name-en and --description-en are what pages in English show "
        "instead of the French name and description; an empty one removes it, and the French "
        "shows again. --hidden keeps it out of Mon ENT, --shown puts it back. "
        "--cas-service URL-PREFIX (repeatable) lets the URLs under each prefix receive CAS "
        "tickets, and --cas-proxy-callback URL-PREFIX lets it receive proxy-granting tickets "
        "there; given, they replace the service's prefixes of that kind. --require-mfa: the "
        "service gets a code or a ticket only once the session has used a second factor (a "
        "passkey or an authenticator app); the person is asked for one without the password, "
        "and --no-require-mfa lifts it. Anything wrong stops the command and nothing is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        _registry_arguments(parser)
        for extension in service_options():
            extension.arguments(parser)
        parser.add_argument("--dry-run", action="store_true", help="report, write nothing")

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
