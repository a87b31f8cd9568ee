from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from seuil.sso.views import Logout as OidcLogout
from seuil.sso.views import refuse_nul

# The back-office HR officers meet: seuil's name and the institution's, not "Django".
admin.site.site_header = f"seuil — {settings.SEUIL_INSTITUTION_NAME}"
admin.site.site_title = "seuil"
admin.site.index_title = _("Personnes, comptes et Sésames")
# The lists need the width (HR's people list shows state and end date at 1280 px, filters
# beside it); the breadcrumbs and the index lead everywhere the sidebar did.
admin.site.enable_nav_sidebar = False


urlpatterns = [
    # Before django-oauth-toolkit's routes: signing out through a service signs out of CAS too.
    path("oidc/logout/", refuse_nul(OidcLogout.as_view()), name="oidc-logout"),
    # The services' requests first (authorization, token, userinfo, CAS tickets): Django tries
    # the patterns in order, and these are most of the requests. No page shares their prefixes.
    path("", include("seuil.sso.oidc_urls")),
    path("cas/", include("seuil.cas.urls")),
    path("saml/", include("seuil.saml.urls")),
    path("", include("seuil.portal.urls")),
    path("", include("seuil.activation.urls")),
    path("", include("seuil.accounts.urls")),
    path("", include("seuil.recovery.urls")),
    path("", include("seuil.mfa.urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("", include("seuil.sso.urls")),
    path("admin/", admin.site.urls),
]

# PostgreSQL or Redis away: a 503 page in French and English instead of a 500 (core/outages.py).
handler500 = "seuil.core.outages.server_error"
