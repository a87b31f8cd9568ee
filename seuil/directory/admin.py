"""The accounts' admin, with each account's directory status and a "push again" action.

The directory sits above the accounts, so it extends their admin rather than the other way round.
"""

from typing import Any

from django.contrib import admin, messages
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from seuil.accounts.admin import AccountAdmin
from seuil.accounts.models import Account, AccountChange
from seuil.core.queue import QueueState
from seuil.directory import config
from seuil.people.models import Person


def with_directory_status(accounts: QuerySet[Account]) -> QuerySet[Account]:
    """What the status needs, in the one query of a list page."""
    changes = AccountChange.objects.filter(account=OuterRef("pk"))
    pending = changes.filter(state=QueueState.PENDING)
    return accounts.annotate(
        has_person=Exists(Person.objects.filter(account=OuterRef("pk"))),
        directory_pending_since=Subquery(pending.order_by("created_at").values("created_at")[:1]),
        directory_failed=Subquery(
            changes.filter(state=QueueState.DEAD).order_by("-pk").values("last_error")[:1]
        ),
        directory_error=Subquery(
            pending.exclude(last_error="").order_by("-pk").values("last_error")[:1]
        ),
    )


def directory_status(account: Any) -> str:
    if not config.configured():
        return str(_("pas d'annuaire configuré"))
    if not account.has_person:
        return str(_("non publié (opérateur)"))
    if account.directory_failed:
        return str(_("échec : %(error)s") % {"error": account.directory_failed})
    if account.directory_pending_since:
        since = formats.date_format(
            timezone.localtime(account.directory_pending_since), "SHORT_DATETIME_FORMAT"
        )
        status = str(_("en attente depuis le %(since)s") % {"since": since})
        if account.directory_error:
            status += " — " + str(
                _("dernière erreur : %(error)s") % {"error": account.directory_error}
            )
        return status
    return str(_("à jour"))


class DirectoryAccountAdmin(AccountAdmin):
    # mypy reads the base's tuples as fixed-length; these are longer by one.
    list_display = (*AccountAdmin.list_display, "directory")  # type: ignore[assignment]
    actions = [*AccountAdmin.actions, "push_again"]
    readonly_fields = (*AccountAdmin.readonly_fields, "directory")  # type: ignore[assignment]
    fieldsets = (*AccountAdmin.fieldsets, (_("Annuaire"), {"fields": ("directory",)}))  # type: ignore[assignment]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Account]:
        return with_directory_status(super().get_queryset(request))

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        if config.configured():
            # Loud, above the list: not an "en attente" among thousands of lines.
            from seuil.directory.alerts import unclosed

            if found := unclosed():
                self.message_user(
                    request,
                    _(
                        "L'annuaire a refusé de fermer %(n)d compte(s) que seuil a fermés "
                        "(verrouillage, expiration ou suppression) : leur ancien mot de passe "
                        "ouvre encore les services. %(accounts)s. Donnez au compte de seuil le "
                        "droit d'écrire userPassword, puis publiez-les à nouveau."
                    )
                    % {
                        "n": len(found),
                        "accounts": "; ".join(f"{i.login} ({i.error})" for i in found[:20]),
                    },
                    messages.ERROR,
                )
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("annuaire"))
    def directory(self, account: Account) -> str:
        return directory_status(account)

    @admin.action(description=_("Publier à nouveau dans l'annuaire"), permissions=["view"])
    def push_again(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        # python-ldap loads with the first push, not in every worker (worker memory, #16).
        from seuil.directory import services
        from seuil.directory.client import DirectoryDown

        ids = list(queryset.values_list("pk", flat=True))
        AccountChange.objects.filter(account_id__in=ids).retry()
        try:
            result = services.push_accounts(ids)
        except DirectoryDown as error:
            self.message_user(
                request,
                _(
                    "Annuaire injoignable (%(error)s) : la publication attend la prochaine "
                    "synchronisation."
                )
                % {"error": error},
                messages.WARNING,
            )
            return
        self.message_user(
            request,
            _("Publiés : %(n)d (dont %(same)d déjà à jour).")
            % {"n": len(ids) - len(result.refused), "same": result.unchanged},
            messages.SUCCESS,
        )
        for pk, refusal in result.refused.items():
            self.message_user(
                request,
                _("Refusé pour le compte %(pk)s : %(error)s") % {"pk": pk, "error": refusal},
                messages.ERROR,
            )


admin.site.unregister(Account)
admin.site.register(Account, DirectoryAccountAdmin)
