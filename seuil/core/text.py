"""Text shared by the layers above: names folded to lower-case ASCII, as logins, mail
addresses, password checks and secret answers all compare them."""

import unicodedata
from functools import lru_cache

from anyascii import anyascii

_NAME_PUNCTUATION = frozenset("-'’‘`´")


def _kept(char: str) -> bool:
    category = unicodedata.category(char)
    return char in _NAME_PUNCTUATION or category[0] in "LMZ" or category == "Nd"


_ASCII_DROPPED = {code: None for code in range(128) if not _kept(chr(code))}


@lru_cache(maxsize=65_536)  # names repeat: a September's feed has a few thousand first names
def ascii_lower(text: str) -> str:
    """Transliterate (œ→oe, ß→ss, ł→l…) then lower-case.

    Symbols go first: anyascii spells an emoji out as a word (😀 → ":grinning:"), which must not
    become letters of a name.
    """
    if text.isascii():  # most names: the same filter, at C speed, and nothing to transliterate
        return text.translate(_ASCII_DROPPED).lower()
    # anyascii spells what it cannot transliterate as "?" (Tangut, for one): filter its output
    # like an ASCII name, so that the result is stable under a second pass.
    kept = "".join(char for char in text if _kept(char))
    return anyascii(kept).translate(_ASCII_DROPPED).lower()
