from django.urls import path

from seuil.accounts import views

app_name = "accounts"
urlpatterns = [
    path(
        "gestion-de-compte/confirmer-mail/<str:token>/", views.confirm_email, name="confirm-email"
    ),
]
