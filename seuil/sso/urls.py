from django.urls import path

from seuil.sso import views

app_name = "sso"
urlpatterns = [
    path("connexion/", views.sign_in, name="sign-in"),
]
