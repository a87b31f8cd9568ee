from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from seuil.accounts.passwords import Context, browser_policy
from seuil.activation.charter import charter_in
from seuil.activation.forms import WRONG_SESAME, ActivationForm
from seuil.activation.models import PROOF_SECONDS
from seuil.activation.services import activate_account
from seuil.core.http import client_ip
from seuil.core.pages import blank
from seuil.core.steps import Steps

# What the recap page shows, once, right after the activation.
RECAP = Steps("activation-recap", max_age=timedelta(minutes=10))
# That a Sésame was verified, after a refusal for another field: never the secret, only the fact.
VERIFIED = Steps("activation-verified", max_age=timedelta(seconds=PROOF_SECONDS))


@login_not_required
@sensitive_post_parameters("sesame", "password1", "password2", "secret_answer")
@never_cache
def activate(request: HttpRequest, *, student: bool = False) -> HttpResponse:
    """Validation Personnel, or, for `student`, Validation Étudiant with a Sésame: the same form
    and rules, in the words of the office that handed the Sésame over."""
    proof = VERIFIED.read(request)
    post = request.method == "POST"
    form = ActivationForm(client_ip(request), proof, request.POST) if post else None
    if form is not None and form.is_valid():
        data = form.cleaned_data
        activated = activate_account(
            grant=data["grant"],
            password=data["password1"],
            email=data["personal_email"],
            question=data["secret_question"],
            answer=data["secret_answer"],
            ip=client_ip(request),
        )
        if activated:
            VERIFIED.end(request)
            account, replaced = activated
            RECAP.keep(
                request,
                login=account.login,
                mail=account.mail,
                replaced=replaced,
                pending_email=account.pending_email,
            )
            return redirect("activation:recap")
        form.add_error("sesame", WRONG_SESAME)  # a concurrent request used the Sésame first
        form.cleaned_data["grant"] = None
    grant = form.cleaned_data.get("grant") if form is not None else None
    if grant:  # refused for something else: keep the fact, never the secret
        VERIFIED.keep(request, pk=grant.pk, login=grant.account.login)
    elif post:
        VERIFIED.end(request)

    def context() -> dict[str, Any]:  # not made for the page kept blank (seuil.core.pages)
        shown = form if form is not None else ActivationForm(client_ip(request), proof)
        policy = browser_policy(Context())
        return {"form": shown, "policy": policy, "verified": grant is not None, "student": student}

    if proof:  # a verified Sésame changes the form
        return render(request, "activation/form.html", context())
    return blank(request, "activation/form.html", context)


@login_not_required
@never_cache
def recap(request: HttpRequest) -> HttpResponse:
    summary = RECAP.end(request)
    if summary is None:
        return redirect("activation:activate")
    return render(request, "activation/recap.html", summary)


@login_not_required
def charter(request: HttpRequest) -> HttpResponse:
    charter = charter_in(get_language() or "fr", settings.SEUIL_CHARTER_FILE)
    return render(request, "activation/charter.html", {"charter": charter})
