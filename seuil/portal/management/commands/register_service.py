from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from seuil.cas.models import CasService, Kind
from seuil.sso.models import Claim, Service, Theme


def _list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _stripped(value: str | None) -> str | None:
    return None if value is None else value.strip()


class Command(BaseCommand):
    help = (
        "Register a service of the ENT, or update the one of that NAME; what is not given is "
        "kept. --for lists the statuses it is for (etudiant, administratif, enseignant, "
        "enseignant-chercheur): others see it nowhere and it refuses them. A first "
        "--oidc-redirect-uri makes it an OpenID Connect client: client_id and client_secret are "
        "then printed, once; the secret is stored hashed, and --new-secret replaces it. --claims "
        f"lists what it may receive ({', '.join(Claim.values)}); a new service receives the "
        "profile and email claims. --name-en and --description-en are what pages in English show "
        "instead of the French name and description; an empty one removes it, and the French "
        "shows again. --hidden keeps it out of Mon ENT, --shown puts it back. "
        "--cas-service URL-PREFIX (repeatable) lets the URLs under each prefix receive CAS "
        "tickets, and --cas-proxy-callback URL-PREFIX lets it receive proxy-granting tickets "
        "there; given, they replace the service's prefixes of that kind."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--url", required=True, help="where Mon ENT's link leads")
        parser.add_argument("--theme", required=True, choices=Theme.values)
        parser.add_argument("--for", dest="statuses", required=True, metavar="STATUS[,STATUS…]")
        parser.add_argument("--description", help="one line under the name in Mon ENT")
        parser.add_argument("--name-en", help="NAME on pages in English; '' removes it")
        parser.add_argument(
            "--description-en", help="--description on pages in English; '' removes it"
        )
        parser.add_argument(
            "--oidc-redirect-uri", dest="redirect_uris", action="append", metavar="URI"
        )
        parser.add_argument(
            "--oidc-post-logout-uri", dest="post_logout_uris", action="append", metavar="URI"
        )
        parser.add_argument("--claims", metavar="CLAIM,…")
        parser.add_argument(
            "--cas-service", dest="cas_services", action="append", metavar="URL-PREFIX"
        )
        parser.add_argument(
            "--cas-proxy-callback", dest="cas_callbacks", action="append", metavar="URL-PREFIX"
        )
        shown = parser.add_mutually_exclusive_group()
        shown.add_argument("--hidden", action="store_const", const=True, dest="hidden")
        shown.add_argument("--shown", action="store_const", const=False, dest="hidden")
        parser.add_argument("--new-secret", action="store_true", help="replace the client secret")
        parser.add_argument("--dry-run", action="store_true", help="report, write nothing")

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        claims = options["claims"]
        try:
            with transaction.atomic():
                done = Service.objects.register(
                    name=options["name"].strip(),
                    url=options["url"],
                    theme=options["theme"],
                    statuses=_list(options["statuses"]),
                    description=options["description"],
                    name_en=_stripped(options["name_en"]),
                    description_en=options["description_en"],
                    redirect_uris=options["redirect_uris"],
                    post_logout_uris=options["post_logout_uris"],
                    claims=None if claims is None else _list(claims),
                    hidden=options["hidden"],
                    new_secret=options["new_secret"],
                )
                for kind, prefixes in [
                    (Kind.SERVICE, options["cas_services"]),
                    (Kind.PROXY_CALLBACK, options["cas_callbacks"]),
                ]:
                    if prefixes is not None:
                        CasService.objects.replace_for(done.service, kind=kind, prefixes=prefixes)
                prefixes = done.service.cas_prefixes.filter(kind=Kind.SERVICE).count()
                if dry_run:
                    transaction.set_rollback(True)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if done.client_secret and not dry_run:
            # Shown once: only its digest is kept.
            self.stdout.write(f"client_id: {done.client_id}")
            self.stdout.write(f"client_secret: {done.client_secret}")
        verb = "created" if done.created else "updated"
        client = f", OIDC client {done.client_id}" if done.client_id else ""
        client += f", {prefixes} CAS prefix{'es' if prefixes > 1 else ''}" if prefixes else ""
        suffix = " (dry run: nothing written)" if dry_run else ""
        self.stdout.write(f"service {done.service.name!r} {verb}{client}{suffix}")
