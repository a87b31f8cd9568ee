"""The operators' side of SAML: the federations and their SPs (read-only: `seuil saml_metadata`
writes them), and what an operator allows a federation SP beyond the minimum."""

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from seuil.saml.attributes import ALLOWABLE
from seuil.saml.models import BackChannelLogout, Federation, FederationRelease, ServiceProvider


@admin.register(Federation)
class FederationAdmin(admin.ModelAdmin[Federation]):
    list_display = ("name", "entities", "refreshed_at", "valid_until", "error")
    readonly_fields = [f.name for f in Federation._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ServiceProvider)
class ServiceProviderAdmin(admin.ModelAdmin[ServiceProvider]):
    list_display = ("entity_id", "name", "service", "federation", "research_and_scholarship")
    list_filter = ("federation", "research_and_scholarship")
    search_fields = ("entity_id", "name")
    readonly_fields = [f.name for f in ServiceProvider._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class ReleaseForm(forms.ModelForm[FederationRelease]):
    attributes = forms.MultipleChoiceField(
        label=_("attributs permis"),
        choices=[(name, name) for name in ALLOWABLE],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = FederationRelease
        fields = ("entity_id", "attributes", "reason")


@admin.register(FederationRelease)
class FederationReleaseAdmin(admin.ModelAdmin[FederationRelease]):
    form = ReleaseForm
    list_display = ("entity_id", "reason")
    search_fields = ("entity_id",)


@admin.register(BackChannelLogout)
class BackChannelLogoutAdmin(admin.ModelAdmin[BackChannelLogout]):
    """The SOAP logouts owed to SPs: sent, waiting for a retry, or given up, and why."""

    list_display = ("created_at", "entity_id", "why", "state", "attempts", "done_at", "last_error")
    list_filter = ("state", "why")
    search_fields = ("=entity_id",)
    exclude = ("name_id", "session_indexes", "key")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: BackChannelLogout | None = None
    ) -> bool:
        return False
