"""Mot de passe oublié: identifier → link by mail, or question → new password."""

from datetime import timedelta

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from seuil.accounts.models import Account
from seuil.accounts.passwords import browser_policy
from seuil.accounts.services import reset_password
from seuil.core.http import client_ip
from seuil.core.pages import blank
from seuil.core.steps import Steps
from seuil.recovery import services
from seuil.recovery.forms import AnswerForm, ForgotForm, ResetForm
from seuil.recovery.tokens import reset_tokens
from seuil.security.middleware import no_referrer

# The identifier typed, for the "sent" page and the question.
FORGOT = Steps("recovery", max_age=timedelta(hours=1))
# What opened the reset form: a right answer (the new password must follow soon), or a mailed
# link (its token, checked again on every page, carries its own limit).
ANSWERED = Steps("recovery-answered", max_age=timedelta(minutes=15))
LINKED = Steps("recovery-link", max_age=timedelta(hours=1))


@login_not_required
@never_cache
def forgot(request: HttpRequest) -> HttpResponse:
    form = ForgotForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        identifier = form.cleaned_data["identifier"]
        FORGOT.keep(request, identifier=identifier)
        if request.POST.get("route") == "question":  # straight to the secret question, no mail
            return redirect("recovery:question")
        services.send_reset_link(identifier=identifier, ip=client_ip(request))
        return redirect("recovery:sent")
    return blank(request, "recovery/forgot.html", {"form": form})


@login_not_required
@never_cache
def sent(request: HttpRequest) -> HttpResponse:
    if FORGOT.read(request) is None:
        return redirect("recovery:forgot")
    return render(request, "recovery/sent.html")


@login_not_required
@sensitive_post_parameters("answer")
@never_cache
def question(request: HttpRequest) -> HttpResponse:
    state = FORGOT.read(request)
    if state is None:
        return redirect("recovery:forgot")
    identifier = state["identifier"]
    form = AnswerForm(request.POST if request.method == "POST" else None)
    closed = services.path_closed(identifier)
    if request.method == "POST" and not closed and form.is_valid():
        account = services.check_answer(
            identifier=identifier,
            question=form.cleaned_data["question"],
            answer=form.cleaned_data["answer"],
            ip=client_ip(request),
        )
        if account:
            ANSWERED.keep(request, pk=account.pk)
            return redirect("recovery:reset")
        closed = services.path_closed(identifier)
        form.add_error("answer", _("Réponse incorrecte."))
    context = {"form": form, "closed": closed}
    return render(request, "recovery/question.html", context)


@login_not_required
@no_referrer
@never_cache
def link(request: HttpRequest, uid: str, token: str) -> HttpResponse:
    """Keep the token in the session and drop it from the address, which could leak it."""
    account = _account(uid)
    if account is None or not reset_tokens.check_token(account, token):
        return render(request, "recovery/invalid.html", status=400)
    LINKED.keep(request, pk=account.pk, token=token)
    return redirect("recovery:reset")


@login_not_required
@sensitive_post_parameters("password1", "password2")
@never_cache
def reset(request: HttpRequest) -> HttpResponse:
    account, via = _granted(request)
    if account is None:
        return render(request, "recovery/invalid.html", status=400)
    form = ResetForm(account, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        ANSWERED.end(request)
        LINKED.end(request)
        request.session.save()  # before the reset: a session store away then resets nothing
        if not reset_password(
            account=account, password=form.cleaned_data["password1"], via=via, ip=client_ip(request)
        ):  # a concurrent request spent the grant first
            return render(request, "recovery/invalid.html", status=400)
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


def _granted(request: HttpRequest) -> tuple[Account | None, str]:
    """The account a link or a right answer opened, if the grant still holds, and by which."""
    if linked := LINKED.read(request):
        account = _open(linked["pk"])
        if account and reset_tokens.check_token(account, linked["token"]):
            return account, "email"
    if answered := ANSWERED.read(request):
        return _open(answered["pk"]), "question"
    return None, ""


def _open(pk: int) -> Account | None:
    account = Account.objects.select_related("person").filter(pk=pk).first()
    return account if account and account.is_active else None
