from django.urls import path

from seuil.activation import views

app_name = "activation"
urlpatterns = [
    path("gestion-de-compte/validation-personnel/", views.activate, name="activate"),
    path("gestion-de-compte/validation-personnel/recapitulatif/", views.recap, name="recap"),
    path("charte/", views.charter, name="charter"),
]
