"""Reading HR and student feeds: CSV as French Excel, SIHAM or Apogée exports really write it."""

import csv
import functools
import io
import re
from collections.abc import Callable
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from seuil.core import bulk
from seuil.people import naming
from seuil.people.models import FEED_FIELDS, Civility, Person, Status


class _EmailValidator(EmailValidator):
    """Django's, with each domain checked once: a feed's 100,000 addresses share a few domains."""

    def validate_domain_part(self, domain_part: str) -> bool:
        return _valid_domain(domain_part)


@functools.lru_cache(maxsize=4096)
def _valid_domain(domain_part: str) -> bool:
    return bool(EmailValidator.validate_domain_part(_DJANGO_EMAIL, domain_part))


_DJANGO_EMAIL = EmailValidator()
_validate_email = _EmailValidator()

REQUIRED = ("status", "external_id", "first_name", "last_name", "birth_date", "start_date")
OPTIONAL = ("civility", "birth_name", "end_date", "personal_email")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_FRENCH = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_EXTERNAL_ID = re.compile(r"[A-Z0-9][A-Z0-9._-]{0,31}")
# Translated only when a message needs them, not once per row of a 100,000-row feed.
FIRST_NAME = gettext_lazy("prénom")
LAST_NAME = gettext_lazy("nom")
BIRTH_NAME = gettext_lazy("nom de naissance")
BIRTH_DATE = gettext_lazy("date de naissance")
START_DATE = gettext_lazy("date de début")
END_DATE = gettext_lazy("date de fin")
_STATUSES = frozenset(Status.values)
_CIVILITIES = {"m": Civility.M, "m.": Civility.M, "mme": Civility.MME, "mme.": Civility.MME}


class RowError(ValueError):
    pass


ENCODINGS = ("utf-8", "cp1252")  # what feeds are written in: UTF-8, or Windows' Western


def parse_people_csv(data: bytes, encoding: str = "utf-8") -> tuple[list[Person], list[str]]:
    """Unsaved people in file order, and every problem as "ligne N : raison". The encoding is
    the one named: a file in another is refused, never guessed."""
    try:
        text = data.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        if encoding == "utf-8":
            reason = _(
                "le fichier n'est pas encodé en UTF-8 ; s'il vient d'Excel sous Windows, "
                "relancez avec --encoding cp1252"
            )
        else:
            reason = _("le fichier n'est pas encodé en %(encoding)s") % {"encoding": encoding}
        return [], [_line(line, reason)]
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        return [], [_line(1, _("le fichier est vide ou sans ligne d'en-tête"))]
    # French Excel writes ";", everything else ",": the header says which.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    errors: list[str] = []
    people: list[Person] = []
    # Read once: every access to settings goes through a lazy proxy.
    institutional = (settings.SEUIL_MAIL_DOMAIN, settings.SEUIL_STUDENT_MAIL_DOMAIN)
    now = timezone.now()  # a feed's people are read at one instant, not one clock read per row
    try:
        header = [name.strip().lower() for name in next(reader)]
        errors = _header_errors(header)
        if errors:
            return [], errors
        seen: dict[tuple[bool, str], int] = {}
        for fields in reader:
            if not any(field.strip() for field in fields):
                continue
            try:
                person = _person(dict(zip(header, fields, strict=True)), institutional, now)
            except ValueError as error:  # RowError, or zip's count of fields
                errors.append(_line(reader.line_num, _row_reason(error, len(header), fields)))
                continue
            key = (person.is_student, person.external_id)
            if key in seen:
                reason = _("numéro %(id)s déjà présent ligne %(line)d")
                errors.append(_line(reader.line_num, reason % {"id": key[1], "line": seen[key]}))
                continue
            seen[key] = reader.line_num
            people.append(person)
    except csv.Error as error:
        errors.append(_line(reader.line_num, _("CSV illisible (%(error)s)") % {"error": error}))
    return ([] if errors else people), errors


def _line(number: int, reason: str) -> str:
    return _("ligne %(line)d : %(reason)s") % {"line": number, "reason": reason}


def _row_reason(error: ValueError, expected: int, fields: list[str]) -> str:
    if isinstance(error, RowError):
        return str(error)
    return _("%(found)d champs au lieu de %(expected)d") % {
        "found": len(fields),
        "expected": expected,
    }


def _header_errors(header: list[str]) -> list[str]:
    errors = []
    for name in header:
        if name not in REQUIRED + OPTIONAL:
            errors.append(_line(1, _("colonne inconnue « %(name)s »") % {"name": name[:40]}))
        elif header.count(name) > 1:
            errors.append(_line(1, _("colonne « %(name)s » en double") % {"name": name}))
    for name in REQUIRED:
        if name not in header:
            errors.append(_line(1, _("colonne obligatoire absente : %(name)s") % {"name": name}))
    return sorted(set(errors), key=errors.index)


def _person(row: dict[str, str], institutional: tuple[str, ...], now: datetime) -> Person:
    status = row["status"].strip().lower()
    if status not in _STATUSES:
        allowed = ", ".join(Status.values)
        reason = _("statut inconnu « %(status)s » (attendu : %(allowed)s)")
        raise RowError(reason % {"status": status[:40], "allowed": allowed})
    person = _new_person()(
        status,
        _external_id(row["external_id"]),
        _civility(row.get("civility", "")),
        _name(row["first_name"], FIRST_NAME, required=True),
        _name(row["last_name"], LAST_NAME, required=True),
        _name(row.get("birth_name", ""), BIRTH_NAME, required=False),
        _date(row["birth_date"], BIRTH_DATE),
        _date(row["start_date"], START_DATE),
        _date(row["end_date"], END_DATE) if row.get("end_date", "").strip() else None,
        _email(row.get("personal_email", ""), institutional),
        now,
        now,
    )
    if person.end_date and person.end_date < person.start_date:
        raise RowError(_("la date de fin précède la date de début"))
    if person.birth_date >= person.start_date:
        raise RowError(_("la date de naissance suit la date de début"))
    try:
        naming.login_base(person.first_name, person.last_name, person.birth_name)
        naming.mail_local(person.first_name, person.last_name)
    except naming.NamingError as error:
        raise RowError(str(error)) from None
    return person


@functools.cache
def _new_person() -> Callable[..., Person]:
    """Person(status=…, …, updated_at=…) built positionally: twice as fast, once a row."""
    status, *others = FEED_FIELDS
    return bulk.builder(Person, status, "external_id", *others, "created_at", "updated_at")


def _external_id(value: str) -> str:
    value = value.strip().upper()
    if not value:
        raise RowError(_("numéro (external_id) vide"))
    if not _EXTERNAL_ID.fullmatch(value):
        reason = _("numéro « %(id)s » invalide : lettres, chiffres, . _ - et 32 caractères au plus")
        raise RowError(reason % {"id": value[:40]})
    return value


def _civility(value: str) -> str:
    value = value.strip().lower()
    if not value:
        return ""
    if value not in _CIVILITIES:
        raise RowError(_("civilité « %(value)s » inconnue (M. ou Mme)") % {"value": value[:10]})
    return _CIVILITIES[value]


def _name(value: str, label: object, *, required: bool) -> str:
    value = " ".join(value.split())
    if not value:
        if required:
            raise RowError(_("%(label)s vide") % {"label": label})
        return ""
    if len(value) > 100:
        raise RowError(_("%(label)s de plus de 100 caractères") % {"label": label})
    # Whitespace is collapsed to spaces above, so what is not printable is a control character
    # (Unicode Cc, Cf, Cs, Co, Cn).
    if not value.isprintable():
        raise RowError(_("%(label)s contient un caractère de contrôle") % {"label": label})
    return value


def _date(value: str, label: object) -> date:
    value = value.strip()
    try:
        if _ISO.fullmatch(value):
            parsed = date.fromisoformat(value)
        elif match := _FRENCH.fullmatch(value):
            day, month, year = (int(part) for part in match.groups())
            parsed = date(year, month, day)
        else:
            raise ValueError
    except ValueError:
        reason = _("%(label)s « %(value)s » invalide (AAAA-MM-JJ ou JJ/MM/AAAA)")
        raise RowError(reason % {"label": label, "value": value[:20]}) from None
    if parsed.year < 1900:
        reason = _("%(label)s « %(value)s » invalide (avant 1900)")
        raise RowError(reason % {"label": label, "value": value})
    return parsed


def _email(value: str, institutional: tuple[str, ...]) -> str:
    value = value.strip()
    if not value:
        return ""
    try:
        if not value.isascii():
            raise ValidationError("not ASCII")
        _validate_email(value)
    except ValidationError:
        reason = _("adresse électronique « %(value)s » invalide")
        raise RowError(reason % {"value": value[:80]}) from None
    local, domain = value.rsplit("@", 1)
    domain = domain.lower()
    if any(domain == d or domain.endswith("." + d) for d in institutional):
        reason = _("« %(value)s » est une adresse de l'établissement, pas une adresse personnelle")
        raise RowError(reason % {"value": value})
    return f"{local}@{domain}"
