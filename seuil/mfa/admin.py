"""IT's reset of a person's second factors, from the accounts' list in the admin: with a reason,
audited, announced to the person's addresses. HR never; an operator's only another operator."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from seuil.accounts.admin import AccountAdmin, operator_of
from seuil.accounts.models import Account
from seuil.core.http import client_ip
from seuil.mfa import services
from seuil.mfa.forms import ResetForm


@admin.action(description=_("Supprimer les seconds facteurs (avec un motif)"))
def reset_second_factors(
    modeladmin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Account]
) -> HttpResponse | None:
    operator = operator_of(request)
    accounts = list(queryset)
    refused = [a.login for a in accounts if not services.may_reset(operator=operator, account=a)]
    if refused:
        modeladmin.message_user(
            request,
            _(
                "Rien n'a été fait : seule l'équipe informatique supprime des seconds facteurs, "
                "et ceux d'un opérateur seulement par un autre opérateur (%(logins)s)."
            )
            % {"logins": ", ".join(refused)},
            messages.ERROR,
        )
        return None
    form = ResetForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        for account in accounts:
            services.reset_factors(
                account=account,
                operator=operator,
                reason=form.cleaned_data["reason"],
                ip=client_ip(request),
            )
        modeladmin.message_user(
            request, _("Seconds facteurs supprimés : %(n)d comptes") % {"n": len(accounts)}
        )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Supprimer les seconds facteurs"),
        "form": form,
        "accounts": accounts,
        "action": request.POST.get("action"),
        "selected": request.POST.getlist("_selected_action"),
    }
    return TemplateResponse(request, "admin/mfa/reset.html", context)


# The accounts' admin is the accounts app's (and the directory's subclass of it, registered in its
# place): the action that needs second factors is added here, from the layer that knows them, to
# whichever class is registered. seuil.mfa comes after both in INSTALLED_APPS.
_registered = type(admin.site._registry.get(Account, AccountAdmin(Account, admin.site)))
_registered.actions = [*(_registered.actions or []), reset_second_factors]
