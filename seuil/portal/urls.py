from django.urls import path

from seuil.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("mon-ent/", views.portal, name="portal"),
    path("gestion-de-compte/se-deconnecter/", views.sign_out, name="sign-out"),
]
