from django.urls import path

from seuil.activation import student_views, views

app_name = "activation"
urlpatterns = [
    path("gestion-de-compte/validation-personnel/", views.activate, name="activate"),
    path("gestion-de-compte/validation-personnel/recapitulatif/", views.recap, name="recap"),
    path("gestion-de-compte/validation-etudiant/", student_views.identify, name="student"),
    # A student whose Sésame the scolarité handed over: the same form, in a student's words.
    path(
        "gestion-de-compte/validation-etudiant/sesame/",
        views.activate,
        {"student": True},
        name="student-sesame",
    ),
    path("gestion-de-compte/validation-etudiant/code/", student_views.code, name="student-code"),
    path(
        "gestion-de-compte/validation-etudiant/activation/",
        student_views.activate,
        name="student-activate",
    ),
    path("charte/", views.charter, name="charter"),
]
