from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

# The back-office HR officers meet: seuil's name and the institution's, not "Django".
admin.site.site_header = f"seuil — {settings.SEUIL_INSTITUTION_NAME}"
admin.site.site_title = "seuil"
admin.site.index_title = _("Personnes, comptes et Sésames")

urlpatterns = [
    path("", include("seuil.portal.urls")),
    path("", include("seuil.activation.urls")),
    path("", include("seuil.accounts.urls")),
    path("", include("seuil.recovery.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
