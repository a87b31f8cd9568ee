from django.contrib import admin

from seuil.portal.models import Service


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin[Service]):
    list_display = (
        "name",
        "theme",
        "for_etudiant",
        "for_administratif",
        "for_enseignant",
        "for_enseignant_chercheur",
        "url",
    )
    list_filter = (
        "theme",
        "for_etudiant",
        "for_administratif",
        "for_enseignant",
        "for_enseignant_chercheur",
    )
    list_editable = (
        "for_etudiant",
        "for_administratif",
        "for_enseignant",
        "for_enseignant_chercheur",
    )
    search_fields = ("name", "description")
    fieldsets = (
        (None, {"fields": ("name", "description", "url", "theme", "position")}),
        (
            "Statuts",
            {
                "fields": (
                    "for_etudiant",
                    "for_administratif",
                    "for_enseignant",
                    "for_enseignant_chercheur",
                )
            },
        ),
    )
