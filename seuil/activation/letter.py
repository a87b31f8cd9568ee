"""The A4 letter HR hands over with a Sésame: who, the login, the code, where, how, until."""

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from html import escape
from io import BytesIO
from pathlib import Path

import reportlab
from anyascii import anyascii
from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
)
from reportlab.platypus.flowables import Flowable

from seuil.accounts import passwords
from seuil.people.models import Person

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
VERA = Path(reportlab.__file__).parent / "fonts"


@dataclass(frozen=True)
class Letter:
    person: Person
    sesame: str
    expires_at: datetime


@cache
def _fonts() -> tuple[str, str, str]:
    """DejaVu when the system has it (fonts-dejavu-core), else reportlab's own Vera."""
    if (DEJAVU / "DejaVuSans.ttf").is_file():
        files = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono-Bold.ttf"), DEJAVU
    else:
        files = ("Vera.ttf", "VeraBd.ttf", "VeraBd.ttf"), VERA
    names = ("SeuilSans", "SeuilSans-Bold", "SeuilMono")
    for name, file in zip(names, files[0], strict=True):
        pdfmetrics.registerFont(TTFont(name, str(files[1] / file)))
    return names


def _printable(text: str) -> str:
    """The text if the font can draw it, else its transliteration: never a row of boxes."""
    glyphs = pdfmetrics.getFont(_fonts()[0]).face.charToGlyph
    if all(ord(char) in glyphs for char in text):
        return text
    return anyascii(text)


def _paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    """Plain text (a name may hold & or <), with the non-breaking spaces French wants around
    « », and before a colon."""
    text = (
        escape(text, quote=False)
        .replace("« ", "«\u00a0")
        .replace(" »", "\u00a0»")
        .replace(" :", "\u00a0:")
    )
    return Paragraph(text, style)


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold, mono = _fonts()
    base = ParagraphStyle("base", fontName=regular, fontSize=10.5, leading=14.5, spaceAfter=5)
    return {
        "base": base,
        "title": ParagraphStyle(
            "title", base, fontName=bold, fontSize=16, leading=20, spaceAfter=12
        ),
        "heading": ParagraphStyle("heading", base, fontName=bold, fontSize=12, spaceBefore=8),
        "code": ParagraphStyle("code", base, fontName=mono, fontSize=20, leading=26),
        "small": ParagraphStyle("small", base, fontSize=9, leading=12),
        "date": ParagraphStyle("date", base, alignment=2),  # right-aligned, as in a letter
    }


def _logo() -> list[Flowable]:
    """The institution's logo (SEUIL_LETTER_LOGO, PNG or JPEG), 4 cm wide at most."""
    if not settings.SEUIL_LETTER_LOGO:
        return []
    image = Image(settings.SEUIL_LETTER_LOGO)
    ratio = min(4 * cm / image.imageWidth, 2 * cm / image.imageHeight)
    image.drawWidth, image.drawHeight = image.imageWidth * ratio, image.imageHeight * ratio
    image.hAlign = "LEFT"
    return [image, Spacer(1, 0.3 * cm)]


def _qr(url: str) -> Flowable:
    widget = QrCodeWidget(url)
    left, bottom, right, top = widget.getBounds()
    size = 3.2 * cm
    drawing = Drawing(
        size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0]
    )
    drawing.add(widget)
    return drawing


@sensitive_variables()
def _letter(letter: Letter, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    person, account = letter.person, letter.person.account
    # A student's letter leads to Validation Étudiant, in the scolarité's words.
    page = "activation:student-sesame" if person.is_student else "activation:activate"
    url = settings.SEUIL_BASE_URL + reverse(page)
    issuer = (
        _("le service de la scolarité")
        if person.is_student
        else _("la Direction des Ressources Humaines (DRH)")
    )
    expires = formats.date_format(timezone.localtime(letter.expires_at), "DATE_FORMAT")
    greeting = {"M.": _("Monsieur"), "Mme": _("Madame")}.get(person.civility, _("Bonjour"))
    name = _printable(f"{person.first_name} {person.last_name}")
    p = styles
    identity = Table(
        [
            [_paragraph(_("Identifiant"), p["base"]), _paragraph(account.login, p["code"])],
            [
                _paragraph(_("Sésame (mot de passe provisoire)"), p["base"]),
                _paragraph(letter.sesame, p["code"]),
            ],
            [_paragraph(_("Valable jusqu'au"), p["base"]), _paragraph(expires, p["heading"])],
        ],
        colWidths=[5.5 * cm, 11 * cm],
        style=[
            ("BOX", (0, 0), (-1, -1), 1, "black"),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LINEBELOW", (0, 0), (-1, -2), 0.5, "grey"),
            ("TOPPADDING", (0, 0), (-1, -1), 6),
        ],
    )
    # One route: the direct address (or the QR code), which opens the form itself; no menu.
    steps = [
        _("Rendez-vous à l'adresse : %(url)s (ou flashez le code ci-contre).") % {"url": url},
        _("Dans les deux premières zones, saisissez votre identifiant et le Sésame ci-dessus."),
        _(
            "Dans les deux zones suivantes, choisissez un mot de passe %(rule)s. S'il "
            "répond aux critères de sécurité, une pastille verte apparaîtra à droite du mot de "
            "passe saisi."
        )
        % {"rule": passwords.rule_text()},
        _(
            "Saisissez votre mail personnel (ou, à défaut, une question secrète) : il vous "
            "permettra de créer un nouveau mot de passe en cas de perte."
        ),
        _(
            "Cochez la case « Je m'engage à respecter la charte d'utilisation de l'environnement "
            "numérique de travail » et cliquez sur le bouton « Valider »."
        ),
        _(
            "Un écran récapitulatif vous confirme l'activation de votre compte et la création de "
            "votre adresse de messagerie universitaire : %(mail)s."
        )
        % {"mail": account.mail},
    ]
    sender = (
        _("Service de la scolarité")
        if person.is_student
        else _("Direction des Ressources Humaines (DRH)")
    )
    today = formats.date_format(timezone.localdate(), "DATE_FORMAT")
    return [
        *_logo(),
        _paragraph(_printable(settings.SEUIL_INSTITUTION_NAME), p["heading"]),
        _paragraph(sender, p["base"]),
        _paragraph(_("Contact : %(email)s") % {"email": settings.SEUIL_SUPPORT_EMAIL}, p["small"]),
        _paragraph(_("Le %(date)s") % {"date": today}, p["date"]),
        Spacer(1, 0.4 * cm),
        _paragraph(_("Activation de votre compte numérique"), p["title"]),
        _paragraph(f"{greeting} {name},", p["base"]),
        _paragraph(
            _(
                "Voici de quoi activer votre compte : l'identifiant que l'université vous attribue "
                "et le « Sésame » que vous remet %(issuer)s. Le Sésame ne sert qu'une fois."
            )
            % {"issuer": issuer},
            p["base"],
        ),
        KeepTogether([identity]),
        Spacer(1, 0.4 * cm),
        Table(
            [
                [
                    [
                        _paragraph(_("Comment activer votre compte"), p["heading"]),
                        *[
                            _paragraph(f"{n}. {text}", p["base"])
                            for n, text in enumerate(steps, start=1)
                        ],
                    ],
                    _qr(url),
                ]
            ],
            colWidths=[13 * cm, 3.6 * cm],
            style=[("VALIGN", (0, 0), (-1, -1), "TOP")],
        ),
        _paragraph(
            _(
                "Notez scrupuleusement le mot de passe que vous aurez choisi : il ne pourra vous "
                "être envoyé. Personne, à l'université, ne vous le demandera jamais."
            ),
            p["base"],
        ),
        _paragraph(
            _(
                "Gardez cette lettre pour vous : quiconque la lit peut activer votre compte "
                "avant vous."
            ),
            p["small"],
        ),
    ]


@sensitive_variables()
def render_letters(letters: list[Letter]) -> bytes:
    """One A4 page per letter, in one PDF, in French (the page's language)."""
    buffer = BytesIO()
    with translation.override("fr"):
        styles = _styles()
        document = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=2.2 * cm,
            rightMargin=2.2 * cm,
            topMargin=2 * cm,
            bottomMargin=2 * cm,
            title=_("Activation de votre compte numérique"),
            author=settings.SEUIL_INSTITUTION_NAME,
        )
        story: list[Flowable] = []
        for number, letter in enumerate(letters):
            story += ([PageBreak()] if number else []) + _letter(letter, styles)
        document.build(story)
    return buffer.getvalue()
