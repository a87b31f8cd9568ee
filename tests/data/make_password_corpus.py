"""Writes tests/data/password-corpus.json: the cases on which the server and the browser agree.

    .venv/bin/python tests/data/make_password_corpus.py

Hand-picked edge cases of each criterion, then seeded random passwords around the thresholds.
The file is committed; regenerate it only to add cases.
"""

import json
import random
import string
from pathlib import Path

LOGIN, WORDS, SESAME = "jdupont", ["dupont", "jean", "lefevre", "martin"], "V0W7-Y2BG-EDMN-A"


def case(password: str, confirmation: str | None = None, **context: object) -> dict[str, object]:
    return {
        "password": password,
        "confirmation": password if confirmation is None else confirmation,
        "login": context.get("login", LOGIN),
        "words": context.get("words", WORDS),
        "sesame": context.get("sesame", SESAME),
    }


EDGES = [
    # length, around 6 and 15
    "",
    "a",
    "Ab1",
    "Ab1cD",
    "Ab1cD2",
    "Lbmx4kr7Tq",
    "Lbmx4kr7TqZw8Pn",
    "Lbmx4kr7TqZw8Pn3",
    "x" * 200,
    "Kq7" * 40,
    # accents and letters outside ASCII, precisely named
    "Éloïse2026Kx",
    "garçon9XqLmT",
    "ÑandúPq7Zx",
    "Lbmx4kr7Tqé",
    "e\u0301tudiantKq7Z",
    "Straße7KqLmX",
    "Œuvre7KqLmXz",
    "Дмитрий7KqLm",
    "Ωmega7KqLmXz",
    "ｆｕｌｌ７ＫｑＬｍ",
    # special characters, precisely named
    "Lbmx4kr7 Tq",
    "Lbmx4kr7#Tq",
    "Lbmx4kr7@Tq",
    "Lbmx-4kr7Tq",
    "Lbmx_4kr7Tq",
    "Lbmx.4kr7Tq",
    "Lbmx4kr7\tTq",
    "Lbmx4kr7\x00Tq",
    "Lbmx4kr7\u200bTq",
    "Lbmx4kr7😀Tq",
    "Lbmx4kr7\u202eTq",
    "Lbmx4kr7١٢Tq",
    "Lbmx4kr7€Tq",
    "Lbmx4kr7'Tq",
    'Lbmx4kr7"Tq',
    "Lbmx4kr7\\Tq",
    # entropy: 15 digits 49.8 bits, 10 lower 47, 11 lower 51.7, 9 lower+digit 46.5, 8 mixed 47.6
    "739201846571935",
    "7392018465719",
    "qhzvkmwtrp",
    "qhzvkmwtrpx",
    "qhzvkmwtrpxy",
    "q7zv2mw9t",
    "q7zv2mw9tk",
    "Q7zv2mW9",
    "Q7zv2mW9t",
    "QHZVKMWTRPX",
    "QhZvKmWtR",
    "QhZvKmWt",
    # common passwords, Django's and French
    "azerty",
    "azerty123",
    "azertyuiop123",
    "motdepasse",
    "Motdepasse123",
    "soleil2025",
    "0icotpd785",
    "09121962q",
    "0987654321q",
    "123123123a",
    "marseille13",
    "Marseille13",
    "jetaime123",
    "Azertyuiop12",
    "PASSWORD1234",
    "Password1234",
    "qwertyuiop123",
    # guessability traps: keyboards, dates, l33t, repeats, sequences, words
    "qwertzuiop12",
    "azqswxedcrfv",
    "1qaz2wsx3edc",
    "19071985Paris",
    "14juillet1789",
    "P4ssw0rdP4ss",
    "Tr0ub4dor3xx",
    "abcdefghijk1",
    "aaaaaaaaaaaB1",
    "abcabcabcabc1",
    "Summer2023Fun",
    "Juillet2026ab",
    "Montpellier34",
    "correcthorse7",
    "ILoveYou2024x",
    "Universite2026",
    "Nicolas19901",
    "Q1w2e3r4t5y6",
    "zxcvbnm12345",
    "Passw0rdPassw",
    # personal: login, names, case, a short name that does not count
    "jdupont2026Kx",
    "JDUPONT2026Kx",
    "Dupont2026KqZ",
    "kqZJean2026x",
    "LefevreKq72Z",
    "KqMartin7Zx2",
    "xWuKq7Zm2Tp",
    "Kq7Zm2TpLi",
    "dupontDUPONT7",
    "jeanjean7KqZ",
    # the Sésame, as typed in any form
    "V0W7Y2BGEDMNA",
    "v0w7y2bgedmna",
    "VOW7Y2BGEDMNA",
    "V0W7Y2BGEDMNB",
    "V0W7Y2BGEDMN",
]

MISMATCHES = [
    ("Lbmx4kr7Tq", "Lbmx4kr7TQ"),
    ("Lbmx4kr7Tq", "Lbmx4kr7Tq "),
    ("Lbmx4kr7Tq", ""),
    ("Lbmx4kr7Tq", " Lbmx4kr7Tq"),
    ("", "Lbmx4kr7Tq"),
    ("azerty", "azerty1"),
]

CONTEXTS = [
    case("Lbmx4kr7Tq", login="", words=[], sesame=""),
    case("jdupont2026Kx", login="", words=[], sesame=""),
    case("Wuq7Zm2TpLi", words=["li", "wu"]),
    case("Zm2TpKq7Eloise", words=["eloise", "lefevre", "martin"]),
    case("V0W7Y2BGEDMNA", sesame=""),
    case("Kq7Zm2TpX9", login="kq7zm"),
    case("KqEva7Zm2Tp", words=["eva", "roy"]),
    case("Kq7Zm2TpRoy", words=["eva", "roy"]),
    case("Kq7Zm2TpEv", words=["eva", "roy"]),
    case("Kq7Zm2Tpabc", login="abc", words=[]),
]


def random_cases(rng: random.Random, count: int) -> list[dict[str, object]]:
    alphabets = [
        string.ascii_lowercase,
        string.ascii_lowercase + string.digits,
        string.ascii_letters,
        string.ascii_letters + string.digits,
        string.digits,
        string.ascii_letters + string.digits + "#@!-_ ",
        string.ascii_lowercase + "éèàçù",
    ]
    cases = []
    for _ in range(count):
        alphabet = rng.choice(alphabets)
        length = rng.choice([5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])
        cases.append(case("".join(rng.choice(alphabet) for _ in range(length))))
    return cases


def main() -> None:
    rng = random.Random(20260901)
    cases = [case(p) for p in EDGES] + [case(p, c) for p, c in MISMATCHES] + CONTEXTS
    cases += random_cases(rng, 300 - len(cases))
    path = Path(__file__).with_name("password-corpus.json")
    path.write_text(json.dumps(cases, ensure_ascii=True, indent=1) + "\n")
    print(f"{len(cases)} cases written to {path}")


if __name__ == "__main__":
    main()
