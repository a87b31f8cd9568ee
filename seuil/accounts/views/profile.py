"""A signed-in person's own account: the password, and how to recover it."""

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from seuil.accounts import services
from seuil.accounts.forms import ChangePasswordForm, EmailChangeForm, QuestionChangeForm
from seuil.accounts.models import Account
from seuil.accounts.passwords import browser_policy
from seuil.accounts.sessions import SIGN_ON, keep_session
from seuil.core.http import client_ip

SECRETS = ("current_password", "password1", "password2", "secret_answer")


def _account(request: HttpRequest) -> Account:
    assert isinstance(request.user, Account)  # noqa: S101 -- LoginRequiredMiddleware
    return request.user


@sensitive_post_parameters(*SECRETS)
@never_cache
def change_password(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    form = ChangePasswordForm(
        client_ip(request), account, request.POST if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid():
        # One transaction with the session's new key written to its store: Redis being away
        # then changes nothing and answers 503, instead of a 503 over a changed password.
        with transaction.atomic():
            services.change_password(
                account=account,
                password=form.cleaned_data["password1"],
                ip=client_ip(request),
                keep=request.session.get(SIGN_ON, ""),
            )
            keep_session(request, account)
            request.session.save()
        messages.success(
            request, _("Votre mot de passe est changé. Vos autres sessions sont fermées.")
        )
        return redirect("portal:portal")
    policy = browser_policy(account.password_context())
    return render(request, "accounts/change_password.html", {"form": form, "policy": policy})


@sensitive_post_parameters(*SECRETS)
@never_cache
def recovery_info(request: HttpRequest) -> HttpResponse:
    """Both forms on one page; this view takes the personal e-mail's."""
    account = _account(request)
    email_form = EmailChangeForm(
        client_ip(request), account, request.POST if request.method == "POST" else None
    )
    if request.method == "POST" and email_form.is_valid():
        email = email_form.cleaned_data["personal_email"]
        services.change_recovery_email(account=account, email=email, ip=client_ip(request))
        messages.success(
            request,
            _("Un lien de confirmation vient d'être envoyé à %(email)s.") % {"email": email},
        )
        return redirect("accounts:recovery-info")
    return _recovery_page(
        request, account, email_form, QuestionChangeForm(client_ip(request), account)
    )


@sensitive_post_parameters(*SECRETS)
@never_cache
def recovery_question(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    form = QuestionChangeForm(
        client_ip(request), account, request.POST if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.replace_secret_question(
            account=account,
            question=data["secret_question"],
            answer=data["secret_answer"],
            ip=client_ip(request),
        )
        messages.success(request, _("Votre question secrète est remplacée."))
        return redirect("accounts:recovery-info")
    return _recovery_page(request, account, EmailChangeForm(client_ip(request), account), form)


def _recovery_page(
    request: HttpRequest,
    account: Account,
    email_form: EmailChangeForm,
    question_form: QuestionChangeForm,
) -> HttpResponse:
    context = {"account": account, "email_form": email_form, "question_form": question_form}
    return render(request, "accounts/recovery_info.html", context)
