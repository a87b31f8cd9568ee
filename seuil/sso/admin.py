from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from seuil.people.models import Status
from seuil.sso.models import Claim, Service

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldsetSpec

# The admin's sections, and so the form's fields (for_statuses is the form's own).
FIELDSETS: "_FieldsetSpec" = (
    (
        None,
        {
            "fields": (
                "name",
                "name_en",
                "description",
                "description_en",
                "url",
                "theme",
                "position",
            )
        },
    ),
    (_("Qui"), {"fields": ("for_statuses", "shown_in_portal")}),
    (_("Authentification unique"), {"fields": ("claims", "require_mfa", "oidc_client")}),
)


class ServiceForm(forms.ModelForm[Service]):
    """Statuses and claims as checkboxes; the rows behind them are the form's business."""

    for_statuses = forms.MultipleChoiceField(
        label=_("Pour"), choices=Status.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    claims = forms.MultipleChoiceField(
        label=_("Informations transmises"),
        choices=Claim.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Un service ne reçoit que celles-ci, et l'identifiant opaque « sub »."),
    )

    class Meta:
        model = Service
        fields = flatten_fieldsets(FIELDSETS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["for_statuses"] = sorted(self.instance.status_codes())


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin[Service]):
    form = ServiceForm
    list_display = ("name", "theme", "statuses_list", "shown_in_portal", "oidc_client", "url")
    list_filter = ("theme", "statuses__status", "shown_in_portal")
    search_fields = ("name", "name_en", "description", "description_en")
    raw_id_fields = ("oidc_client",)
    fieldsets = FIELDSETS

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).prefetch_related("statuses")

    @admin.display(description=_("pour"))
    def statuses_list(self, service: Service) -> str:
        return ", ".join(sorted(service.status_codes()))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        form.instance.set_statuses(form.cleaned_data["for_statuses"])
