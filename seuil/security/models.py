from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Lockout(models.Model):
    """Failed secrets for one identifier typed, from one client network (`<hash>@<network>`) or
    from all (`<hash>`): the progressive lockout's counters. The hash is keyed: see throttle."""

    key = models.CharField(_("clé"), max_length=150, unique=True)
    failures = models.PositiveIntegerField(_("échecs"), default=0)
    locked_until = models.DateTimeField(_("verrouillé jusqu'à"), null=True, blank=True)
    last_failure_at = models.DateTimeField(_("dernier échec"), default=timezone.now)

    class Meta:
        verbose_name = _("verrouillage")
        verbose_name_plural = _("verrouillages")

    def __str__(self) -> str:
        return f"{self.key}: {self.failures}"


class RateWindow(models.Model):
    """POSTs from one client address in the current window of its limit, and in the one before
    (the sliding window weighs both)."""

    key = models.CharField(_("adresse"), max_length=64, unique=True)
    window = models.BigIntegerField(_("fenêtre"))
    hits = models.PositiveIntegerField(_("requêtes"), default=0)
    previous = models.PositiveIntegerField(_("requêtes de la fenêtre précédente"), default=0)

    class Meta:
        verbose_name = _("fenêtre de limitation")
        verbose_name_plural = _("fenêtres de limitation")

    def __str__(self) -> str:
        return f"{self.key}: {self.hits}"
