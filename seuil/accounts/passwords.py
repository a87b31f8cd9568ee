"""The password rule and the security criteria behind the green dot ("pastille verte").

static/seuil/password.js evaluates the same rule set in the browser, from the policy this module
publishes; tests/data/password-corpus.json holds the cases on which both must agree. This module is
the authority: the server checks every password with it, whatever the browser said.
"""

import gzip
import hashlib
import json
import math
import string
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import zxcvbn.scoring
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.debug import sensitive_variables
from zxcvbn import zxcvbn as guess

from seuil.core.text import ascii_lower

SPECIALS = string.punctuation + " "  # the 33 printable ASCII characters that are not alphanumeric
PERSONAL_MIN = 3  # a shorter name ("Li") would forbid too many passwords
ANSWER_MIN = 3  # letters or digits a secret answer keeps once normalised
FRENCH_COMMON = Path(__file__).with_name("common-passwords-fr.txt")


@dataclass(frozen=True)
class Context:
    """What the password must not resemble: the login, the person's names, the Sésame."""

    login: str = ""
    words: tuple[str, ...] = ()
    sesame: str = ""


@dataclass(frozen=True)
class Unmet:
    code: str
    message: str


def personal_words(*names: str) -> tuple[str, ...]:
    """The words of a person's names, as they could appear in a password: "Lefèvre-Martin" gives
    lefevre and martin."""
    words = {w for name in names for w in _split(ascii_lower(name)) if len(w) >= PERSONAL_MIN}
    return tuple(sorted(words))


def _split(text: str) -> list[str]:
    return "".join(c if c.isalnum() else " " for c in text).split()


@sensitive_variables()
def normalise_answer(answer: str) -> str:
    """A secret answer as compared: no case, no accents, single spaces, no punctuation."""
    return " ".join(_split(ascii_lower(answer)))


@sensitive_variables()
def answer_long_enough(answer: str) -> bool:
    """Whether the answer keeps ANSWER_MIN letters or digits once normalised. Judged on the raw
    text, "???" and "😀😀😀" would pass and all become "", which every other such answer matches."""
    return len(normalise_answer(answer).replace(" ", "")) >= ANSWER_MIN


@sensitive_variables()
def answer_matches(answer: str, encoded: str) -> bool:
    """Whether the answer is the one hashed in `encoded` (one hash either way). A too-short
    answer never matches, even an answer stored before the rule: it would match every other."""
    return check_password(normalise_answer(answer), encoded) and answer_long_enough(answer)


_SEPARATORS = {ord(c): None for c in " \t\n\r\f\v-"}  # ASCII only: password.js strips the same
_CROCKFORD_READING = str.maketrans("OIL", "011")


@sensitive_variables()
def normalise_sesame(text: str) -> str:
    """Crockford base32 as typed: any case, no spaces or hyphens, O read as 0, I and L as 1."""
    return text.translate(_SEPARATORS).upper().translate(_CROCKFORD_READING)


@sensitive_variables()
def unmet(password: str, confirmation: str, context: Context) -> list[Unmet]:
    """Every criterion the password does not meet, in the order the indicator lists them."""
    rule = settings
    found: list[Unmet] = []
    if not rule.SEUIL_PASSWORD_MIN_LENGTH <= len(password) <= rule.SEUIL_PASSWORD_MAX_LENGTH:
        found.append(Unmet("length", length_message(len(password))))
    accent, special = _refused_characters(password)
    if accent:
        found.append(Unmet("accent", accent_message() % {"char": accent}))
    if special:
        found.append(Unmet("special", special_message(special)))
    if rule.SEUIL_PASSWORD_MIN_ENTROPY and entropy(password) < rule.SEUIL_PASSWORD_MIN_ENTROPY:
        found.append(Unmet("entropy", entropy_message()))
    if not found:  # the costlier criteria only once the rule itself holds
        found += _quality(password, context)
    if password != confirmation:
        found.append(Unmet("match", MESSAGES["match"]()))
    return found


@sensitive_variables()
def _refused_characters(password: str) -> tuple[str, str]:
    """The first accented letter and the first special character the rule refuses."""
    accent = special = ""
    for char in password:
        if char.isascii() and char.isalnum():
            continue
        if settings.SEUIL_PASSWORD_ALPHABET == "ascii" and char in SPECIALS:  # noqa: S105
            continue
        if unicodedata.category(char)[0] in "LM":  # ASCII letters passed above
            accent = accent or char
        else:
            special = special or char
    return accent, special


@sensitive_variables()
def entropy(password: str) -> float:
    """CNIL's estimate: length × log2 of the size of the character classes used."""
    alphabet = _alphabet(password)
    return len(password) * math.log2(alphabet) if alphabet else 0.0


def _alphabet(chars: str) -> int:
    classes = (string.ascii_lowercase, string.ascii_uppercase, string.digits, SPECIALS)
    return sum(len(members) for members in classes if any(c in members for c in chars))


@sensitive_variables()
def _quality(password: str, context: Context) -> list[Unmet]:
    found: list[Unmet] = []
    lowered = password.lower()
    if settings.SEUIL_PASSWORD_REFUSE_COMMON and lowered in common_passwords():
        found.append(Unmet("common", MESSAGES["common"]()))
    if settings.SEUIL_PASSWORD_MIN_ZXCVBN:
        # The browser's zxcvbn dates years from the current one; the Python port fixes it at 2017.
        zxcvbn.scoring.REFERENCE_YEAR = timezone.localdate().year
        inputs = [w for w in (context.login, *context.words, context.sesame) if w]
        result = guess(password, user_inputs=inputs)
        if result["score"] < settings.SEUIL_PASSWORD_MIN_ZXCVBN:
            patterns = [match["pattern"] for match in result["sequence"]]
            found.append(Unmet("guessable", guessable_message(patterns)))
    words = [
        w.lower()
        for w in (context.login, *context.words, *login_words(context.login))
        if len(w) >= PERSONAL_MIN
    ]
    if any(word in lowered for word in words):
        found.append(Unmet("personal", MESSAGES["personal"]()))
    if context.sesame and normalise_sesame(password) == normalise_sesame(context.sesame):
        found.append(Unmet("sesame", MESSAGES["sesame"]()))
    return found


def login_words(login: str) -> tuple[str, ...]:
    """The family name a login is made of (seuil.people.naming: an initial, the name, perhaps a
    number), which the browser can check before it knows the person: "elefevre2" gives lefevre."""
    family = login.strip().lower()[1:].rstrip(string.digits)
    return (family,) if len(family) >= PERSONAL_MIN else ()


# What zxcvbn recognised in a guessable password, said in the reader's words, in this order.
# password.js receives the same table (browser_policy), so both sides give the same reason.
REASONS = {
    "date": _lazy("une date ou une année"),
    "regex": _lazy("une date ou une année"),
    "spatial": _lazy("une suite de touches du clavier"),
    "sequence": _lazy("une suite de lettres ou de chiffres (abc, 1234…)"),
    "repeat": _lazy("une répétition"),
    "dictionary": _lazy("un mot, un prénom ou un nom courant"),
}


def guessable_message(patterns: list[str]) -> str:
    reasons: list[str] = []
    for pattern, reason in REASONS.items():
        if pattern in patterns and str(reason) not in reasons:
            reasons.append(str(reason))
    if not reasons:
        return str(MESSAGES["guessable"]())
    return _("Trop facile à deviner : il contient %(reasons)s") % {"reasons": _(", ").join(reasons)}


def shortest_length() -> int:
    """The real minimum length: the configured one, or the shortest length at which the entropy
    criterion can be met at all, with every character class the alphabet allows (9 for the
    default 50 bits over letters and digits)."""
    bits = settings.SEUIL_PASSWORD_MIN_ENTROPY
    widest = _alphabet(string.ascii_letters + string.digits)
    if settings.SEUIL_PASSWORD_ALPHABET == "ascii":  # noqa: S105
        widest = _alphabet(string.ascii_letters + string.digits + SPECIALS)
    length = settings.SEUIL_PASSWORD_MIN_LENGTH
    while bits and length * math.log2(widest) < bits:
        length += 1
    return length


def rule_text() -> str:
    """The rule as every page, letter and mail states it after "un mot de passe", derived from
    the active policy: "d'au moins 9 caractères…", never "de au moins"."""
    values = {"min": shortest_length(), "max": settings.SEUIL_PASSWORD_MAX_LENGTH}
    if settings.SEUIL_PASSWORD_ALPHABET == "ascii":  # noqa: S105
        return _("d'au moins %(min)d caractères (%(max)d au plus), sans accents") % values
    return (
        _(
            "d'au moins %(min)d caractères (%(max)d au plus), sans accents et sans caractères "
            "spéciaux"
        )
        % values
    )


def length_message(length: int) -> str:
    if length > settings.SEUIL_PASSWORD_MAX_LENGTH:
        return MESSAGES["long"]() % {"max": settings.SEUIL_PASSWORD_MAX_LENGTH}
    return MESSAGES["short"]() % {"min": shortest_length()}


def accent_message() -> str:
    return _("Il contient un accent (« %(char)s ») : les accents sont refusés")


def special_message(char: str) -> str:
    shown = _("espace") if char == " " else char
    if settings.SEUIL_PASSWORD_ALPHABET == "ascii":  # noqa: S105
        return _(
            "Il contient « %(char)s » : seuls les caractères ASCII imprimables sont acceptés"
        ) % {"char": shown}
    return _("Il contient un caractère spécial (« %(char)s ») : lettres et chiffres seulement") % {
        "char": shown
    }


def entropy_message() -> str:
    return MESSAGES["entropy"]()


# Every refusal says what is wrong, not what is wanted: next to a ✗, "Pas un mot de passe courant"
# would read as the opposite of what it means.
MESSAGES: dict[str, Callable[[], str]] = {
    "short": lambda: _("Trop court : il faut au moins %(min)d caractères"),
    "long": lambda: _("Trop long : %(max)d caractères au plus"),
    "entropy": lambda: _(
        "Trop simple pour sa longueur : mêlez minuscules, majuscules et chiffres, ou allongez-le"
    ),
    "common": lambda: _("C'est un mot de passe trop courant"),
    "guessable": lambda: _("Trop facile à deviner : choisissez une suite moins prévisible"),
    "personal": lambda: _("Il contient votre identifiant ou votre nom"),
    "sesame": lambda: _("C'est votre Sésame : choisissez un autre mot de passe"),
    "match": lambda: _("La confirmation ne correspond pas au mot de passe"),
}


@cache
def common_passwords() -> frozenset[str]:
    """Django's 20,000 most common passwords, and French ones (azerty, soleil, motdepasse…)."""
    french = FRENCH_COMMON.read_text(encoding="utf-8").split()
    return frozenset(CommonPasswordValidator().passwords) | {w.lower() for w in french}


def decisive_common_passwords() -> list[str]:
    """The common passwords some casing of which meets length, alphabet and entropy: only those
    can decide a verdict, so only those are sent to the browser."""
    return _decisive(
        settings.SEUIL_PASSWORD_MIN_LENGTH,
        settings.SEUIL_PASSWORD_MAX_LENGTH,
        settings.SEUIL_PASSWORD_ALPHABET,
        settings.SEUIL_PASSWORD_MIN_ENTROPY,
    )


@cache
def _decisive(shortest: int, longest: int, alphabet: str, bits: int) -> list[str]:
    def could_pass(word: str) -> bool:
        if not shortest <= len(word) <= longest or _refused_characters(word) != ("", ""):
            return False
        return len(word) * math.log2(_alphabet(word.upper() + word.lower())) >= bits

    return sorted(w for w in common_passwords() if could_pass(w))


@dataclass(frozen=True)
class Asset:
    """The decisive common passwords as password.js fetches them: JSON, named by its digest so
    that a browser may keep it for good, and gzipped once per process rather than per request."""

    digest: str
    body: bytes
    gzipped: bytes


def common_passwords_asset() -> Asset:
    # Cached by the policy, as the words are: keying the cache by the words hashed a tuple of
    # thousands of them on every activation page (28 µs; 1 µs now).
    return _asset(
        settings.SEUIL_PASSWORD_MIN_LENGTH,
        settings.SEUIL_PASSWORD_MAX_LENGTH,
        settings.SEUIL_PASSWORD_ALPHABET,
        settings.SEUIL_PASSWORD_MIN_ENTROPY,
    )


@cache
def _asset(shortest: int, longest: int, alphabet: str, bits: int) -> Asset:
    body = json.dumps(_decisive(shortest, longest, alphabet, bits), separators=(",", ":")).encode()
    return Asset(hashlib.sha256(body).hexdigest()[:16], body, gzip.compress(body, mtime=0))


def browser_policy(context: Context) -> dict[str, Any]:
    """What password.js needs to reach the server's verdict, in the page's language. The common
    passwords are not in it: the page would weigh 50 KB more on every visit. password.js fetches
    them, with zxcvbn, once the person starts filling in the form."""
    refuse_common = settings.SEUIL_PASSWORD_REFUSE_COMMON
    digest = common_passwords_asset().digest if refuse_common else ""
    return {
        "min": settings.SEUIL_PASSWORD_MIN_LENGTH,
        "max": settings.SEUIL_PASSWORD_MAX_LENGTH,
        "alphabet": settings.SEUIL_PASSWORD_ALPHABET,
        "minEntropy": settings.SEUIL_PASSWORD_MIN_ENTROPY,
        "minZxcvbn": settings.SEUIL_PASSWORD_MIN_ZXCVBN,
        "commonUrl": reverse("accounts:common-passwords", args=[digest]) if digest else "",
        "words": list(context.words),
        "login": context.login,
        "shortest": shortest_length(),
        "rule": rule_text(),
        "messages": {
            **{code: message() for code, message in MESSAGES.items()},
            "short": length_message(0),
            "long": length_message(settings.SEUIL_PASSWORD_MAX_LENGTH + 1),
            "accent": accent_message(),
            "special": special_message("%(char)s"),
            "space": _("espace"),
            "reasons": {pattern: str(reason) for pattern, reason in REASONS.items()},
            "because": _("Trop facile à deviner : il contient %(reasons)s"),
            "and": _(", "),
            "rule": [c.message for c in unmet("", "", context) if c.code != "match"],
            "valid": _("conforme"),
            "show": _("Afficher"),
            "invalid": _("non conforme"),
            "matches": _("✓ Confirmation identique"),
            "differs": _("✗ La confirmation ne correspond pas au mot de passe"),
            "pending": _("Confirmation : retapez le mot de passe"),
            "loading": _(
                "Vérifications de sécurité en cours de chargement : vous pouvez déjà saisir "
                "votre mot de passe."
            ),
        },
    }
