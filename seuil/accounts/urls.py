from django.urls import path

from seuil.accounts.views import assets, confirm, profile, signin, unlock

app_name = "accounts"
urlpatterns = [
    path("gestion-de-compte/se-connecter/", signin.sign_in, name="sign-in"),
    path(
        "gestion-de-compte/changer-mon-mot-de-passe/",
        profile.change_password,
        name="change-password",
    ),
    path(
        "gestion-de-compte/mes-informations-de-recuperation/",
        profile.recovery_info,
        name="recovery-info",
    ),
    path(
        "gestion-de-compte/mes-informations-de-recuperation/question/",
        profile.recovery_question,
        name="recovery-question",
    ),
    path(
        "gestion-de-compte/mots-de-passe-courants/<str:digest>.json",
        assets.common_passwords,
        name="common-passwords",
    ),
    path("gestion-de-compte/confirmer-mail/", confirm.confirm_email, name="confirm-email"),
    path(
        "gestion-de-compte/confirmer-mail/<str:token>/", confirm.confirm_link, name="confirm-link"
    ),
    path("gestion-de-compte/deverrouiller/", unlock.unlock, name="unlock"),
    path("gestion-de-compte/deverrouiller/<str:token>/", unlock.unlock_link, name="unlock-link"),
]
