from seuil.accounts.models.account import CONFIRMATION_AGE, Account, AccountQuerySet
from seuil.accounts.models.change import AccountChange, What
from seuil.accounts.models.history import Resource, StateChange
from seuil.accounts.models.lifecycle import CLOSED_MESSAGE, LOCKED_MESSAGE
from seuil.accounts.models.signon import SignOn

__all__ = [
    "CLOSED_MESSAGE",
    "CONFIRMATION_AGE",
    "LOCKED_MESSAGE",
    "Account",
    "AccountChange",
    "AccountQuerySet",
    "Resource",
    "SignOn",
    "StateChange",
    "What",
]
