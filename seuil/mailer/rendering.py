"""Every message in French, then English: one template per kind, rendered in both languages."""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import Promise

from seuil.typography import french, french_html

LANGUAGES = ("fr", "en")


@dataclass
class Draft:
    """What a builder returns: a template under templates/mail/, a lazy subject, a context."""

    template: str
    subject: Promise
    context: dict[str, Any] = field(default_factory=dict)


@dataclass
class Message:
    subject: str
    text: str
    html: str


def render(draft: Draft) -> Message:
    context = {
        "institution": settings.SEUIL_INSTITUTION_NAME,
        "portal": settings.SEUIL_PORTAL_NAME,
        "base_url": settings.SEUIL_BASE_URL,
        "support": settings.SEUIL_SUPPORT_EMAIL,
        **draft.context,
    }
    parts = []
    for language in LANGUAGES:
        with translation.override(language):
            text: str = render_to_string(f"mail/{draft.template}.txt", context).strip()
            html: str = render_to_string(f"mail/{draft.template}.html", context)
            if language == "fr":
                text, html = french(text), french_html(html)
            parts.append(
                {"language": language, "subject": str(draft.subject), "text": text, "html": html}
            )
    return Message(
        subject=" / ".join(part["subject"] for part in parts),
        text="\n\n----------------------------------------\n\n".join(p["text"] for p in parts)
        + "\n",
        html=render_to_string("mail/base.html", {**context, "parts": parts}),
    )
