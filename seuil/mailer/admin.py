from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from seuil.mailer.models import OutgoingMail


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin[OutgoingMail]):
    """The outbox: what left, what waits for a retry, what was given up, and why. Bodies are
    built when sent."""

    list_display = ("created_at", "kind", "to", "state", "done_at", "attempts", "last_error")
    list_filter = ("state", "kind")
    search_fields = ("=to",)
    exclude = ("context",)
    actions = ["retry"]

    @admin.action(description=_("Réessayer les courriels abandonnés"), permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[OutgoingMail]) -> None:
        count = OutgoingMail.objects.filter(pk__in=queryset.values("pk")).retry()
        self.message_user(
            request, _("Courriels remis en file : %(n)d") % {"n": count}, messages.SUCCESS
        )

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("mailer.view_outgoingmail") and request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutgoingMail | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OutgoingMail | None = None) -> bool:
        return False
