from django.urls import path

from seuil.mfa import passkeys, views

app_name = "mfa"
SECURITY = "gestion-de-compte/securite/"
SECOND = "gestion-de-compte/second-facteur/"
urlpatterns = [
    path(SECOND, views.verify, name="verify"),
    path(f"{SECOND}requis/", views.needed, name="needed"),
    path(f"{SECOND}cle/options/", passkeys.sign_in_options, name="passkey-options"),
    path(f"{SECOND}cle/", passkeys.sign_in, name="passkey-sign-in"),
    path(SECURITY, views.security, name="security"),
    path(f"{SECURITY}application/", views.totp_enrol, name="totp-enrol"),
    path(f"{SECURITY}application/retirer/", views.totp_remove, name="totp-remove"),
    path(f"{SECURITY}codes-de-secours/", views.codes_renew, name="codes-renew"),
    path(f"{SECURITY}cles/options/", passkeys.register_options, name="passkey-register-options"),
    path(f"{SECURITY}cles/ajouter/", passkeys.register, name="passkey-register"),
    path(f"{SECURITY}cles/<int:pk>/retirer/", passkeys.remove, name="passkey-remove"),
]
