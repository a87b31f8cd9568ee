"""Validation Étudiant: identify, receive a code by mail, then the activation form."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
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

STUDENT = "student_validation"
VERIFIED_SECONDS = 30 * 60  # after the right code, the form must follow soon


@never_cache
def identify(request: HttpRequest) -> HttpResponse:
    form = IdentifyForm(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid() and form.student:
        send_student_code(person=form.student, request=request)
        request.session[STUDENT] = {"pk": form.student.account_id}
        return redirect("activation:student-code")
    return render(request, "activation/student_identify.html", {"form": form})


@never_cache
def code(request: HttpRequest) -> HttpResponse:
    account = _account(request)
    if account is None:
        return redirect("activation:student")
    if request.method == "POST" and "resend" in request.POST:
        sent = send_student_code(person=account.person, request=request)
        messages.info(
            request,
            _("Un nouveau code vient d'être envoyé.")
            if sent
            else _("Trop de codes envoyés : patientez une heure."),
        )
        return redirect("activation:student-code")
    form = CodeForm(request, account, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid() and form.granted:
        request.session[STUDENT] = {
            "pk": account.pk,
            "code": form.granted.pk,
            "at": timezone.now().timestamp(),
        }
        return redirect("activation:student-activate")
    context = {"form": form, "masked": mask(account.person.personal_email)}
    return render(request, "activation/student_code.html", context)


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
            request=request,
            proven=person.personal_email,
        )
        request.session.pop(STUDENT, None)
        if activated is None:
            return redirect("activation:student")
        recap = {"login": account.login, "mail": account.mail, "replaced": False}
        request.session[RECAP] = {**recap, "pending_email": activated[0].pending_email}
        return redirect("activation:recap")
    context = {"form": form, "policy": browser_policy(account.password_context())}
    return render(request, "activation/student_activate.html", context)


def _account(request: HttpRequest) -> Account | None:
    pk = (request.session.get(STUDENT) or {}).get("pk")
    return (
        Account.objects.select_related("person").filter(pk=pk, person__status="etudiant").first()
        if pk
        else None
    )


def _verified_code(request: HttpRequest) -> StudentCode | None:
    state = request.session.get(STUDENT) or {}
    if timezone.now().timestamp() - float(state.get("at", 0)) > VERIFIED_SECONDS:
        return None
    codes = StudentCode.objects.select_related("account", "account__person")
    return codes.filter(
        pk=int(state.get("code", 0)), account_id=int(state.get("pk", 0)), used_at__isnull=True
    ).first()
