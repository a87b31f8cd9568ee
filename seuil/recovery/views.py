"""Mot de passe oublié: identifier → link by mail, or question → new password."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from seuil.accounts.models import Account
from seuil.accounts.passwords import browser_policy
from seuil.accounts.services import reset_password
from seuil.recovery import services
from seuil.recovery.forms import AnswerForm, ForgotForm, ResetForm
from seuil.recovery.tokens import reset_tokens
from seuil.security.middleware import no_referrer

IDENTIFIER, GRANT = "recovery_identifier", "recovery_grant"
GRANT_SECONDS = 15 * 60  # after a right answer, the new password must follow soon


@never_cache
def forgot(request: HttpRequest) -> HttpResponse:
    form = ForgotForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        identifier = form.cleaned_data["identifier"]
        services.send_reset_link(identifier=identifier, request=request)
        request.session[IDENTIFIER] = identifier
        return redirect("recovery:sent")
    return render(request, "recovery/forgot.html", {"form": form})


@never_cache
def sent(request: HttpRequest) -> HttpResponse:
    if IDENTIFIER not in request.session:
        return redirect("recovery:forgot")
    return render(request, "recovery/sent.html")


@sensitive_post_parameters("answer")
@never_cache
def question(request: HttpRequest) -> HttpResponse:
    identifier = request.session.get(IDENTIFIER)
    if identifier is None:
        return redirect("recovery:forgot")
    form = AnswerForm(request.POST if request.method == "POST" else None)
    closed = services.path_closed(identifier)
    if request.method == "POST" and not closed and form.is_valid():
        account = services.check_answer(
            identifier=identifier, answer=form.cleaned_data["answer"], request=request
        )
        if account:
            request.session[GRANT] = {
                "pk": account.pk,
                "via": "question",
                "at": timezone.now().timestamp(),
            }
            return redirect("recovery:reset")
        closed = services.path_closed(identifier)
        form.add_error("answer", _("Réponse incorrecte."))
    context = {"form": form, "question": services.question_for(identifier), "closed": closed}
    return render(request, "recovery/question.html", context)


@no_referrer
@never_cache
def link(request: HttpRequest, uid: str, token: str) -> HttpResponse:
    """Keep the token in the session and drop it from the address, which could leak it."""
    account = _account(uid)
    if account is None or not reset_tokens.check_token(account, token):
        return render(request, "recovery/invalid.html", status=400)
    request.session[GRANT] = {"pk": account.pk, "via": "email", "token": token}
    return redirect("recovery:reset")


@sensitive_post_parameters("password1", "password2")
@never_cache
def reset(request: HttpRequest) -> HttpResponse:
    account = _granted(request)
    if account is None:
        return render(request, "recovery/invalid.html", status=400)
    form = ResetForm(account, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        via = request.session.pop(GRANT)["via"]
        reset_password(
            account=account, password=form.cleaned_data["password1"], via=via, request=request
        )
        return render(request, "recovery/done.html")
    return render(
        request,
        "recovery/reset.html",
        {"form": form, "policy": browser_policy(account.password_context())},
    )


def _account(uid: str) -> Account | None:
    try:
        pk = int(force_str(urlsafe_base64_decode(uid)))
    except (ValueError, TypeError, OverflowError):
        return None
    return Account.objects.select_related("person").filter(pk=pk).first()


def _granted(request: HttpRequest) -> Account | None:
    """The account a link or a right answer opened, if the grant still holds."""
    grant = request.session.get(GRANT) or {}
    account = Account.objects.select_related("person").filter(pk=int(grant.get("pk", 0))).first()
    if account is None or not account.is_active:
        return None
    if grant.get("via") == "email":
        return account if reset_tokens.check_token(account, grant.get("token")) else None
    fresh = timezone.now().timestamp() - float(grant.get("at", 0)) < GRANT_SECONDS
    return account if fresh else None
