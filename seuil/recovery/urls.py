from django.urls import path

from seuil.recovery import views

app_name = "recovery"
urlpatterns = [
    path("gestion-de-compte/mot-de-passe-oublie/", views.forgot, name="forgot"),
    path("gestion-de-compte/mot-de-passe-oublie/envoye/", views.sent, name="sent"),
    path("gestion-de-compte/mot-de-passe-oublie/question/", views.question, name="question"),
    path("gestion-de-compte/nouveau-mot-de-passe/<str:uid>/<str:token>/", views.link, name="link"),
    path("gestion-de-compte/nouveau-mot-de-passe/", views.reset, name="reset"),
]
