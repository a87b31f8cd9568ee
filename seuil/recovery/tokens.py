"""Reset links: Django's token generator, whose hash covers the password (so a link serves once)
and here the account's openness too (so an expiry or a lock voids the links sent before)."""

from typing import Any

from django.contrib.auth.tokens import PasswordResetTokenGenerator

from seuil.accounts.models import Account


class ResetTokens(PasswordResetTokenGenerator):
    key_salt = "seuil.recovery.ResetTokens"

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        assert isinstance(user, Account)  # noqa: S101
        return f"{super()._make_hash_value(user, timestamp)}{user.is_active}{user.recovery_email}"


reset_tokens = ResetTokens()
