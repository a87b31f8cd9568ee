from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Resource(models.TextChoices):
    COMPTE = "COMPTE", _("compte")
    MAIL = "MAIL", _("messagerie")


class StateChange(models.Model):
    """The history of a resource's state, as SupAnn's supannRessourceEtatDate writes it.

    The latest row of each resource is its current state; the directory provisioning reads the
    {MAIL} rows to create mailboxes.
    """

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="states"
    )
    resource = models.CharField(_("ressource"), max_length=8, choices=Resource.choices)
    state = models.CharField(_("état"), max_length=1)
    substate = models.CharField(_("sous-état"), max_length=32)
    start = models.DateField(_("début"))
    end = models.DateField(_("fin"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("enregistré le"), default=timezone.now)

    class Meta:
        verbose_name = _("changement d'état")
        verbose_name_plural = _("historique des états")
        ordering = ["-recorded_at", "-pk"]

    def __str__(self) -> str:
        return self.supann

    @property
    def supann(self) -> str:
        """{COMPTE}A:SupannActif:20260901: — end left empty when open."""
        end = f"{self.end:%Y%m%d}" if self.end else ""
        return f"{{{self.resource}}}{self.state}:{self.substate}:{self.start:%Y%m%d}:{end}"
