from django.contrib import admin

from seuil.cas.models import CasService
from seuil.sso.admin import ServiceAdmin
from seuil.sso.models import Service


class CasServiceInline(admin.TabularInline[CasService, CasService]):
    """The URL prefixes that may receive CAS tickets, on the registry's service page."""

    model = CasService
    extra = 0
    fields = ("prefix", "kind")


class CasServiceAdmin(ServiceAdmin):
    inlines = (*ServiceAdmin.inlines, CasServiceInline)


# The registry sits below CAS and knows nothing of it: CAS adds its inline to the registry's page.
admin.site.unregister(Service)
admin.site.register(Service, CasServiceAdmin)
