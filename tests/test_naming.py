"""The naming rules of docs/naming.md: a table of tricky names, then properties over any text."""

import re
from datetime import date
from itertools import islice

import pytest
from django.conf import settings
from django.core.validators import validate_email
from django.test import override_settings
from hypothesis import example, given
from hypothesis import strategies as st

from seuil.core.text import ascii_lower
from seuil.people import naming
from seuil.people.models import Person

# (first name, usage name, birth name) -> (login, mail local part), on an empty registry, max 8.
TABLE = [
    (("Jean", "Dupont", ""), ("jdupont", "jean.dupont")),
    (("Éloïse", "Lefèvre-Martin", ""), ("elefevre", "eloise.lefevre-martin")),
    (("Jean-Pierre", "de la Fontaine", ""), ("jdelafon", "jean-pierre.de-la-fontaine")),
    (("Charles", "D'Artagnan", ""), ("cdartagn", "charles.dartagnan")),
    (("Charles", "D’Artagnan", ""), ("cdartagn", "charles.dartagnan")),
    (("Jeanne", "d`Arc", ""), ("jdarc", "jeanne.darc")),
    (("Œdipe", "Cœur", ""), ("ocoeur", "oedipe.coeur")),
    (("Ægidius", "Æbischer", ""), ("aaebisch", "aegidius.aebischer")),
    (("Mælle", "Le Bœuf", ""), ("mleboeuf", "maelle.le-boeuf")),
    (("Wolfgang", "Strauß", ""), ("wstrauss", "wolfgang.strauss")),
    (("Jürgen", "Groß", ""), ("jgross", "jurgen.gross")),
    (("Søren", "Kierkegaard", ""), ("skierkeg", "soren.kierkegaard")),
    (("Ørjan", "Ås", ""), ("oas", "orjan.as")),
    (("Łukasz", "Wałęsa", ""), ("lwalesa", "lukasz.walesa")),
    (("Zbigniew", "Brzęczyszczykiewicz", ""), ("zbrzeczy", "zbigniew.brzeczyszczykiewicz")),
    (("François", "Müller", ""), ("fmuller", "francois.muller")),
    (("Noël", "Çelik", ""), ("ncelik", "noel.celik")),
    (("Zoë", "Brontë", ""), ("zbronte", "zoe.bronte")),
    (("İlker", "Şahin", ""), ("isahin", "ilker.sahin")),
    (("Þór", "Guðmundsson", ""), ("tgudmund", "thor.gudmundsson")),
    (("Ana-María", "Ñúñez", ""), ("anunez", "ana-maria.nunez")),
    (("José María", "Fernández de Córdoba", ""), ("jfernand", "jose-maria.fernandez-de-cordoba")),
    (("Thị", "Nguyễn", ""), ("tnguyen", "thi.nguyen")),
    (("Νίκος", "Παπαδόπουλος", ""), ("npapadop", "nikos.papadopoylos")),
    (("Иван", "Петров", ""), ("ipetrov", "ivan.petrov")),
    (("伟", "王", ""), ("wwang", "wei.wang")),
    (("Marie Anne", "Dubois", ""), ("mdubois", "marie-anne.dubois")),
    (("Jean-Pierre", "Martin", ""), ("jmartin", "jean-pierre.martin")),
    (("Anne-Sophie", "Le Goff", ""), ("alegoff", "anne-sophie.le-goff")),
    (("Maximilien", "de Robespierre", ""), ("mderobes", "maximilien.de-robespierre")),
    (("Jan", "van der Berg", ""), ("jvanderb", "jan.van-der-berg")),
    (("Aude", "Saint-Éxupéry", ""), ("asaintex", "aude.saint-exupery")),
    (("Sean", "O'Neil", ""), ("soneil", "sean.oneil")),
    (("Bruno", "N’Diaye", ""), ("bndiaye", "bruno.ndiaye")),
    (("Christophe", "Vanderschellenberghe", ""), ("cvanders", "christophe.vanderschellenberghe")),
    (("Marie", "Martin", "Durand"), ("mdurand", "marie.martin")),
    (("Claire", "Petit-Durand", "Petit"), ("cpetit", "claire.petit-durand")),
    (("Jean   Paul", "Le   Pen", ""), ("jlepen", "jean-paul.le-pen")),
    (("Jean--Marc", "Dupont - Durand", ""), ("jdupontd", "jean-marc.dupont-durand")),
    (("JEAN", "DUPONT", ""), ("jdupont", "jean.dupont")),
    (("Jean\u00a0Luc", "Picard", ""), ("jpicard", "jean-luc.picard")),
    (("Li", "Wu", ""), ("lwu", "li.wu")),
    (("-Élodie-", "'Ortiz'", ""), ("eortiz", "elodie.ortiz")),
    (("Louis", "Bourbon 14", ""), ("lbourbon", "louis.bourbon-14")),
    (("Ève", "Ôzil", "Ëlbaz"), ("eelbaz", "eve.ozil")),
]


def taken() -> tuple[naming.Taken, naming.Taken]:
    return taken_names(set())


def taken_names(logins: set[str]) -> tuple[naming.Taken, naming.Taken]:
    reserved = naming.RESERVED_LOGINS | frozenset(settings.SEUIL_RESERVED_NAMES)
    return naming.Taken(logins, reserved, settings.SEUIL_LOGIN_MAX_LENGTH), naming.Taken(set())


def make(first: str, last: str, birth: str = "", status: str = "administratif") -> Person:
    return Person(
        status=status,
        external_id="X",
        first_name=first,
        last_name=last,
        birth_name=birth,
        birth_date=date(1990, 1, 1),
        start_date=date(2026, 9, 1),
    )


@pytest.mark.parametrize(("names", "expected"), TABLE, ids=[row[0][1] for row in TABLE])
def test_it_names_tricky_people_by_the_rules(
    names: tuple[str, str, str], expected: tuple[str, str]
) -> None:
    account = make(*names).allocate_account(*taken())
    assert (account.login, account.mail) == (expected[0], f"{expected[1]}@univ-montp3.fr")


def test_the_table_covers_at_least_forty_names() -> None:
    assert len(TABLE) >= 40


def test_it_gives_students_the_student_domain() -> None:
    account = make("Jean", "Dupont", status="etudiant").allocate_account(*taken())
    assert account.mail == "jean.dupont@etu.univ-montp3.fr"


def test_it_numbers_a_homonym_series_beyond_ten() -> None:
    logins, mails = taken()
    accounts = [make("Jean", "Dupont").allocate_account(logins, mails) for _ in range(12)]
    assert [a.login for a in accounts] == [
        "jdupont", "jdupont2", "jdupont3", "jdupont4", "jdupont5", "jdupont6",
        "jdupont7", "jdupont8", "jdupont9", "jdupon10", "jdupon11", "jdupon12",
    ]  # fmt: skip
    assert accounts[0].mail == "jean.dupont@univ-montp3.fr"
    assert accounts[11].mail == "jean.dupont12@univ-montp3.fr"


def test_it_shortens_a_full_length_base_to_fit_the_number() -> None:
    logins, mails = taken()
    accounts = [make("Jean", "de la Fontaine").allocate_account(logins, mails) for _ in range(10)]
    assert [a.login for a in accounts][:3] == ["jdelafon", "jdelafo2", "jdelafo3"]
    assert accounts[8].login == "jdelafo9"
    assert accounts[9].login == "jdelaf10"


def test_it_skips_reserved_names() -> None:
    assert make("Aurélie", "Dmin").allocate_account(*taken()).login == "admin2"
    assert make("Rose", "Oot").allocate_account(*taken()).login == "root2"


@override_settings(SEUIL_RESERVED_NAMES=["jdupont"])
def test_it_skips_names_the_institution_reserves() -> None:
    assert make("Jean", "Dupont").allocate_account(*taken()).login == "jdupont2"


@override_settings(SEUIL_LOGIN_MAX_LENGTH=12)
def test_it_honours_the_configured_maximum_length() -> None:
    assert make("Jean", "de la Fontaine").allocate_account(*taken()).login == "jdelafontain"


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ("Jean", "---", "le nom"),
        ("Jean", "’ ‘", "le nom"),
        ("😀", "Dupont", "le prénom"),
        ("123", "Dupont", "le prénom"),
        ("", "Dupont", "le prénom"),
    ],
)
def test_it_refuses_a_name_that_reduces_to_nothing(first: str, last: str, message: str) -> None:
    with pytest.raises(naming.NamingError, match=message):
        make(first, last).allocate_account(*taken())


def test_it_cuts_a_very_long_address_to_sixty_four_characters() -> None:
    local = naming.mail_local(
        "Marie-Thérèse-Bernadette-Joséphine", "de Saint-Exupéry-Montmorency-Laval"
    )
    first = next(naming.mail_candidates(local, "univ-montp3.fr"))
    second = list(islice(naming.mail_candidates(local, "univ-montp3.fr"), 2))[1]
    assert len(first.split("@")[0]) <= 64
    assert len(second.split("@")[0]) <= 64
    assert second.split("@")[0].endswith("2")


# --- Properties over any text ------------------------------------------------------------------

names = st.text(min_size=0, max_size=60)


@given(first=names, last=names, birth=names)
def test_a_login_base_is_lowercase_ascii_starting_with_a_letter(
    first: str, last: str, birth: str
) -> None:
    try:
        base = naming.login_base(first, last, birth)
    except naming.NamingError:
        return
    assert re.fullmatch(r"[a-z][a-z0-9]+", base)


@given(first=names, last=names)
def test_an_address_is_always_a_valid_ascii_address(first: str, last: str) -> None:
    try:
        local = naming.mail_local(first, last)
    except naming.NamingError:
        return
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*\.[a-z0-9]+(-[a-z0-9]+)*", local)
    validate_email(next(naming.mail_candidates(local, "univ-montp3.fr")))


@given(base=st.from_regex(r"[a-z][a-z0-9]{0,30}", fullmatch=True), limit=st.integers(4, 32))
def test_login_candidates_are_distinct_and_within_the_maximum(base: str, limit: int) -> None:
    candidates = list(islice(naming.login_candidates(base, limit), 1200))
    assert len(set(candidates)) == len(candidates)
    assert all(len(c) <= limit and c[0] == base[0] for c in candidates)
    assert candidates[0] == base[:limit]
    if base.isalpha():  # without digits in the base, every number up to the cut is usable
        assert len(candidates) == min(1200, 10 ** (limit - 1) - 1)


@given(
    first=st.sampled_from(["Jean", "Éloïse", "Jean-Pierre", "Œdipe"]),
    last=st.sampled_from(["Dupont", "de la Fontaine", "Cœur", "D'Artagnan"]),
    already=st.sets(st.from_regex(r"[a-z]{1,3}[a-z0-9]{0,5}", fullmatch=True), max_size=50),
    count=st.integers(1, 25),
)
def test_allocation_never_gives_a_taken_or_reserved_name(
    first: str, last: str, already: set[str], count: int
) -> None:
    before = set(already) | {"jdupont", "jdupont2", "jdelafon"}
    logins, mails = taken_names(set(before))
    given_now = [make(first, last).allocate_account(logins, mails).login for _ in range(count)]
    assert not set(given_now) & before
    assert not set(given_now) & naming.RESERVED_LOGINS
    assert len(set(given_now)) == count


@given(text=st.text(max_size=40))
@example(text="𘟭")  # a Tangut ideograph: anyascii spells it "?"
def test_transliteration_is_ascii_and_stable(text: str) -> None:
    once = ascii_lower(text)
    assert once.isascii()
    assert ascii_lower(once) == once
