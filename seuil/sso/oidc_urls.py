"""The OpenID Connect endpoints, under django-oauth-toolkit's names (its views reverse them).
Only these: no client registration, no application management, no implicit flow. Discovery is
at the issuer (SEUIL_BASE_URL) as OpenID Connect Discovery requires."""

from django.urls import path
from oauth2_provider import views as dot

from seuil.security.middleware import rate_limit_exempt
from seuil.sso import views
from seuil.sso.views import refuse_nul

app_name = "oauth2_provider"
urlpatterns = [
    path(
        ".well-known/openid-configuration",
        views.Discovery.as_view(),
        name="oidc-connect-discovery-info",
    ),
    path("oidc/authorize/", refuse_nul(views.Authorize.as_view()), name="authorize"),
    # Called by the services' servers, authenticated by their secret: one busy service must not
    # spend its address's allowance of public POSTs.
    path("oidc/token/", rate_limit_exempt(refuse_nul(views.Token.as_view())), name="token"),
    path(
        "oidc/revoke/",
        rate_limit_exempt(refuse_nul(dot.RevokeTokenView.as_view())),
        name="revoke-token",
    ),
    path(
        "oidc/userinfo/",
        rate_limit_exempt(refuse_nul(views.UserInfo.as_view())),
        name="user-info",
    ),
    path("oidc/jwks/", dot.JwksInfoView.as_view(), name="jwks-info"),
    path("oidc/logout/", refuse_nul(views.Logout.as_view()), name="rp-initiated-logout"),
]
