"""SupAnn account states (supannRessourceEtatDate), derived from the person's dates, the
activation, an administrative lock and the purge. See docs/lifecycle.md.

The state is computed, not stored: an account past its grace cannot sign in even if the daily
job has not run yet. The job records transitions and applies their side effects.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Substate(models.TextChoices):
    PRECREE = "SupannPrecree", _("pré-créé (activation pas encore ouverte)")
    CREE = "SupannCree", _("créé, en attente d'activation")
    ANTICIPE = "SupannAnticipe", _("actif par anticipation")
    ACTIF = "SupannActif", _("actif")
    SURSIS = "SupannSursis", _("en sursis (délai de grâce)")
    EXPIRE = "SupannExpire", _("expiré")
    SUPPR_DONNEES = "SupannSupprDonnees", _("données supprimées")
    VERROU_ADMIN = "SupannVerrouAdministratif", _("verrouillé par l'administration")


LETTER = {
    Substate.PRECREE: "I",
    Substate.CREE: "I",
    Substate.ANTICIPE: "A",
    Substate.ACTIF: "A",
    Substate.SURSIS: "A",
    Substate.EXPIRE: "I",
    Substate.SUPPR_DONNEES: "I",
    Substate.VERROU_ADMIN: "S",
}
# Who may sign in: the A states.
OPEN = frozenset(state for state, letter in LETTER.items() if letter == "A")
# Whose Sésame or code no longer opens anything: a feed or HR must act first.
CLOSED = frozenset({Substate.EXPIRE, Substate.SUPPR_DONNEES, Substate.VERROU_ADMIN})
