from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("seuil.portal.urls")),
    path("", include("seuil.activation.urls")),
    path("", include("seuil.accounts.urls")),
    path("", include("seuil.recovery.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
