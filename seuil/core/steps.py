"""The state a multi-step flow carries from one page to the next, in the session.

Each flow names its state and how long it lasts. The state is signed (with the flow's name as
salt, so one flow's state never passes for another's) and stamped: past `max_age`, or altered,
it is as if there were none, and the flow starts again.

    STUDENT = Steps("student", max_age=timedelta(minutes=30))
    STUDENT.keep(request, pk=account.pk)
    state = STUDENT.read(request)   # {"pk": …} or None
    STUDENT.end(request)
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core import signing
from django.http import HttpRequest


@dataclass(frozen=True)
class Steps:
    name: str
    max_age: timedelta

    @property
    def _key(self) -> str:
        return f"seuil.steps.{self.name}"

    def keep(self, request: HttpRequest, **state: Any) -> None:
        """Start or move the flow on; the time limit runs from now."""
        request.session[self._key] = signing.dumps(state, salt=self._key)

    def read(self, request: HttpRequest) -> dict[str, Any] | None:
        raw = request.session.get(self._key)
        if not isinstance(raw, str):
            return None
        try:
            state = signing.loads(raw, salt=self._key, max_age=self.max_age)
        except signing.BadSignature:  # altered, or expired (SignatureExpired is one)
            return None
        return state if isinstance(state, dict) else None

    def end(self, request: HttpRequest) -> dict[str, Any] | None:
        """Finish the flow; return its last state, if it still held."""
        state = self.read(request)
        request.session.pop(self._key, None)
        return state
