from datetime import timedelta

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _

from seuil.accounts.admin import refused_operators
from seuil.accounts.models import Account
from seuil.activation.models import CharterAcceptance, Sesame
from seuil.activation.services import issue_letters
from seuil.core.http import client_ip
from seuil.people.admin import PersonAdmin
from seuil.people.models import Person

# The people layer does not know about Sésames: this layer adds the letters to HR's list.
REISSUE_WARNING = timedelta(minutes=15)
admin.site.unregister(Person)


@admin.register(Person)
class PersonWithLettersAdmin(PersonAdmin):
    actions = ["issue_sesames", *PersonAdmin.actions]

    @admin.action(
        description=_("Émettre un Sésame et imprimer la lettre"), permissions=["issue_sesame"]
    )
    def issue_sesames(
        self, request: HttpRequest, queryset: QuerySet[Person]
    ) -> HttpResponse | None:
        """Ask first, naming anyone already active (a Sésame then replaces their password); then
        answer with the PDF letters, the only place the new Sésames ever appear. An account with
        operator rights is IT's: the whole action is refused."""
        assert isinstance(request.user, Account)  # noqa: S101 -- the admin requires a login
        people = list(queryset.select_related("account").order_by("last_name", "first_name"))
        if refused_operators(self, request, [person.account for person in people]):
            return None
        # A second click, or a second officer, minutes after a letter was printed would void it
        # silently: a Sésame issued that recently is named, and issuing again must be asked for.
        since = timezone.now() - REISSUE_WARNING
        recent = set(
            Sesame.objects.filter(account__person__in=people, issued_at__gte=since).values_list(
                "account_id", flat=True
            )
        )
        if "apply" not in request.POST or (recent and "again" not in request.POST):
            context = {
                **self.admin_site.each_context(request),
                "title": _("Émettre un Sésame et imprimer la lettre"),
                "people": people,
                "active": [p for p in people if p.account.activated_at],
                "recent": [p for p in people if p.account_id in recent],
                "minutes": int(REISSUE_WARNING.total_seconds() // 60),
                "selected": [p.pk for p in people],
                "opts": self.model._meta,
            }
            return TemplateResponse(request, "admin/people/person/sesame_confirm.html", context)
        pdf = issue_letters(people=people, by=request.user, ip=client_ip(request))
        response = HttpResponse(pdf, content_type="application/pdf")
        name = f"sesames-{timezone.localtime():%Y%m%d-%H%M%S}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        add_never_cache_headers(response)
        return response

    def has_issue_sesame_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("activation.add_sesame")


@admin.register(Sesame)
class SesameAdmin(admin.ModelAdmin[Sesame]):
    """What HR issued, to whom and when; never the code, which exists only on the letter."""

    list_display = ("holder", "issued_at", "expires_at", "state_in_words", "issued_by")
    list_select_related = ("account", "issued_by")
    search_fields = ("=account__login",)
    date_hierarchy = "issued_at"
    fields = ("account", "issued_at", "expires_at", "used_at", "revoked_at", "issued_by")

    @admin.display(description=_("compte"), ordering="account__login")
    def holder(self, sesame: Sesame) -> str:
        return str(sesame.account)

    @admin.display(description=_("état"))
    def state_in_words(self, sesame: Sesame) -> str:
        return sesame.state

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # issued from a person, so that a letter comes with it

    def has_change_permission(self, request: HttpRequest, obj: Sesame | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Sesame | None = None) -> bool:
        return False


@admin.register(CharterAcceptance)
class CharterAcceptanceAdmin(admin.ModelAdmin[CharterAcceptance]):
    list_display = ("holder", "version", "accepted_at", "ip")
    list_filter = ("version",)
    search_fields = ("=account__login",)

    @admin.display(description=_("compte"), ordering="account__login")
    def holder(self, acceptance: CharterAcceptance) -> str:
        return str(acceptance.account)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: CharterAcceptance | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: CharterAcceptance | None = None
    ) -> bool:
        return False
