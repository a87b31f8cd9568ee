"""Validation Étudiant: identify, receive a code by mail, then the activation form."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from seuil.accounts.emails import mask
from seuil.accounts.models import Account
from seuil.accounts.passwords import browser_policy
from seuil.activation.models import StudentCode
from seuil.activation.services import activate_account, send_student_code
from seuil.activation.student_forms import CodeForm, IdentifyForm, StudentActivationForm
from seuil.activation.views import RECAP
from seuil.core.http import client_ip
from seuil.core.pages import blank
from seuil.core.steps import Steps

# Who is validating, then which code they proved: the form must follow the code soon.
STUDENT = Steps("student-validation", max_age=timedelta(minutes=30))


@login_not_required
@never_cache
def identify(request: HttpRequest) -> HttpResponse:
    form = IdentifyForm(client_ip(request), request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        student = form.cleaned_data["student"]
        send_student_code(person=student, ip=client_ip(request))
        STUDENT.keep(request, pk=student.account_id)
        return redirect("activation:student-code")
    return blank(request, "activation/student_identify.html", {"form": form})


@login_not_required
@never_cache
def code(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    if account is None:
        return redirect("activation:student")
    if request.method == "POST" and "resend" in request.POST:
        sent = send_student_code(person=account.person, ip=client_ip(request))
        messages.info(
            request,
            _("Un nouveau code vient d'être envoyé.")
            if sent
            else _("Trop de codes envoyés : patientez une heure."),
        )
        return redirect("activation:student-code")
    form = CodeForm(client_ip(request), account, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        STUDENT.keep(request, pk=account.pk, code=form.cleaned_data["grant"].pk)
        return redirect("activation:student-activate")
    context = {"form": form, "masked": mask(account.person.personal_email)}
    return render(request, "activation/student_code.html", context)


@login_not_required
@sensitive_post_parameters("password1", "password2", "secret_answer")
@never_cache
def activate(request: HttpRequest) -> HttpResponse:
    grant = _verified_code(request)
    if grant is None:
        return redirect("activation:student")
    account, person = grant.account, grant.account.person
    form = StudentActivationForm(
        account,
        request.POST if request.method == "POST" else None,
        initial={"personal_email": person.personal_email},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        activated = activate_account(
            grant=grant,
            password=data["password1"],
            email=data["personal_email"],
            question=data["secret_question"],
            answer=data["secret_answer"],
            ip=client_ip(request),
            proven=person.personal_email,
        )
        STUDENT.end(request)
        if activated is None:
            return redirect("activation:student")
        RECAP.keep(
            request,
            login=account.login,
            mail=account.mail,
            replaced=False,
            pending_email=activated[0].pending_email,
        )
        return redirect("activation:recap")
    context = {"form": form, "policy": browser_policy(account.password_context())}
    return render(request, "activation/student_activate.html", context)


def _account(request: HttpRequest) -> Account | None:
    pk = (STUDENT.read(request) or {}).get("pk")
    return (
        Account.objects.select_related("person").filter(pk=pk, person__status="etudiant").first()
        if pk
        else None
    )


def _verified_code(request: HttpRequest) -> StudentCode | None:
    state = STUDENT.read(request) or {}
    if "code" not in state:
        return None
    codes = StudentCode.objects.select_related("account", "account__person")
    return codes.unspent().filter(pk=state["code"], account_id=state["pk"]).first()
