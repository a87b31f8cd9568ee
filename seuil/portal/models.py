from typing import ClassVar

from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

STATUS_FIELDS = {
    "etudiant": "for_etudiant",
    "administratif": "for_administratif",
    "enseignant": "for_enseignant",
    "enseignant-chercheur": "for_enseignant_chercheur",
}


class Theme(models.TextChoices):
    COMMUNICATION = "communication", _("Communication")
    PEDAGOGIE = "pedagogie", _("Pédagogie")
    SCOLARITE = "scolarite", _("Scolarité")
    RH = "ressources-humaines", _("Ressources humaines")
    GESTION = "gestion", _("Gestion")
    RECHERCHE = "recherche", _("Recherche")
    DOCUMENTATION = "documentation", _("Documentation")
    VIE_PRATIQUE = "vie-pratique", _("Vie pratique")


class ServiceQuerySet(models.QuerySet["Service"]):
    def offered_to(self, status: str) -> "ServiceQuerySet":
        """The services of one status, grouped by theme in the order of Theme, then by name."""
        field = STATUS_FIELDS.get(status)
        if field is None:
            return self.none()
        order = models.Case(
            *(
                models.When(theme=theme, then=position)
                for position, theme in enumerate(Theme.values)
            ),
            output_field=models.IntegerField(),
        )
        return self.filter(**{field: True}).order_by(order, "position", "name")


class Service(models.Model):
    """A service of the ENT, offered to some statuses, under a theme."""

    name = models.CharField(_("nom"), max_length=80, unique=True)
    description = models.CharField(_("description"), max_length=200)
    url = models.URLField(_("adresse"), validators=[URLValidator(schemes=["http", "https"])])
    theme = models.CharField(_("thème"), max_length=32, choices=Theme.choices)
    position = models.PositiveSmallIntegerField(_("ordre dans le thème"), default=0)
    for_etudiant = models.BooleanField(_("étudiants"), default=False)
    for_administratif = models.BooleanField(_("personnels administratifs"), default=False)
    for_enseignant = models.BooleanField(_("enseignants"), default=False)
    for_enseignant_chercheur = models.BooleanField(_("enseignants-chercheurs"), default=False)

    objects: ClassVar[ServiceQuerySet] = ServiceQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["theme", "position", "name"]

    def __str__(self) -> str:
        return self.name
