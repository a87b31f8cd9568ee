from django.urls import path

from seuil.saml import views

app_name = "saml"
urlpatterns = [
    path("metadata", views.metadata_view, name="metadata"),
    path("sso/redirect", views.sso_redirect, name="sso-redirect"),
    path("sso/post", views.sso_post, name="sso-post"),
    path("slo/redirect", views.slo_redirect, name="slo-redirect"),
    path("slo/post", views.slo_post, name="slo-post"),
    path("continue/<str:key>/", views.resume, name="continue"),
]
