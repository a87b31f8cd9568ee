from django.urls import path

from seuil.saml import views

app_name = "saml"
urlpatterns = [
    path("metadata", views.metadata_view, name="metadata"),
    path("sso/redirect", views.sso_redirect, name="sso-redirect"),
    path("sso/post", views.sso_post, name="sso-post"),
    path("continue/<str:key>/", views.resume, name="continue"),
]
