from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from seuil.accounts.passwords import Context, browser_policy
from seuil.activation.charter import charter_in
from seuil.activation.forms import PROOF, WRONG_SESAME, ActivationForm
from seuil.activation.services import activate_account

RECAP = "activation_recap"


@sensitive_post_parameters("sesame", "password1", "password2", "secret_answer")
@never_cache
def activate(request: HttpRequest) -> HttpResponse:
    form = ActivationForm(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid() and form.sesame_found:
        data = form.cleaned_data
        activated = activate_account(
            grant=form.sesame_found,
            password=data["password1"],
            email=data["personal_email"],
            question=data["secret_question"],
            answer=data["secret_answer"],
            request=request,
        )
        if activated:
            request.session.pop(PROOF, None)
            account, replaced = activated
            request.session[RECAP] = {
                "login": account.login,
                "mail": account.mail,
                "replaced": replaced,
                "pending_email": account.pending_email,
            }
            return redirect("activation:recap")
        form.add_error("sesame", WRONG_SESAME)  # a concurrent request used the Sésame first
        form.sesame_found = None
    if form.sesame_found:  # refused for something else: keep the fact, never the secret
        request.session[PROOF] = form.sesame_found.proof()
    elif request.method == "POST":
        request.session.pop(PROOF, None)
    policy = browser_policy(Context())
    return render(request, "activation/form.html", {"form": form, "policy": policy})


@never_cache
def recap(request: HttpRequest) -> HttpResponse:
    summary = request.session.pop(RECAP, None)
    if summary is None:
        return redirect("activation:activate")
    return render(request, "activation/recap.html", summary)


def charter(request: HttpRequest) -> HttpResponse:
    charter = charter_in(get_language() or "fr", settings.SEUIL_CHARTER_FILE)
    return render(request, "activation/charter.html", {"charter": charter})
