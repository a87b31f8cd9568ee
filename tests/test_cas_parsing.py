"""The parts of the CAS server that read or write text: prefix matching, tickets, XML."""

import re
from datetime import UTC, datetime

import defusedxml.ElementTree as ET
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seuil.cas.models import covers, new_ticket
from seuil.cas.responses import success
from seuil.cas.views import with_ticket

HOST = st.from_regex(r"[a-z][a-z0-9-]{0,10}(\.[a-z]{2,5}){1,2}", fullmatch=True)
SEGMENT = st.from_regex(r"[A-Za-z0-9_~-]{1,8}", fullmatch=True)
NS = {"cas": "http://www.yale.edu/tp/cas"}


@given(HOST, HOST, st.lists(SEGMENT, max_size=4))
def test_a_prefix_covers_its_own_paths_and_no_other_host(
    host: str, other: str, path: list[str]
) -> None:
    prefix = f"https://{host}/app/"
    assert covers(prefix, prefix + "/".join(path))
    if other != host:
        assert not covers(prefix, f"https://{other}/app/" + "/".join(path))
        assert not covers(prefix, f"https://{host}.{other}/app/")


@given(st.text(max_size=200))
def test_no_text_makes_the_matcher_raise(url: str) -> None:
    covers("https://app.example/", url)
    covers(url, "https://app.example/")


def test_a_prefix_without_a_slash_stops_at_a_path_boundary() -> None:
    assert covers("https://app.example/moodle", "https://app.example/moodle")
    assert covers("https://app.example/moodle", "https://app.example/moodle/course")
    assert not covers("https://app.example/moodle", "https://app.example/moodle2")
    assert covers("https://APP.example/", "HTTPS://app.EXAMPLE/x"), "hosts are case-blind"


def test_tickets_use_only_what_mod_auth_cas_accepts() -> None:
    for prefix in ["ST", "PT", "PGT", "PGTIOU"]:
        ticket = new_ticket(prefix)
        assert re.fullmatch(prefix + r"-[A-Za-z0-9.-]{32,}", ticket)
    assert len({new_ticket("ST") for _ in range(1000)}) == 1000


@given(st.text(max_size=60), st.sampled_from(["", "?a=1", "?a=1#frag", "#frag"]))
def test_the_ticket_is_added_once_and_the_rest_kept(path: str, tail: str) -> None:
    service = "https://app.example/" + path.replace("#", "").replace("?", "") + tail
    url = with_ticket(service, "ST-abc")
    base, _, fragment = service.partition("#")
    assert url.startswith(base)
    assert url.count("ticket=ST-abc") == 1
    assert url.endswith("#" + fragment if fragment else "ticket=ST-abc")


@given(st.text(max_size=40), st.lists(st.text(max_size=40), max_size=3))
def test_any_attribute_value_gives_well_formed_xml(user: str, values: list[str]) -> None:
    response = success(
        user=user,
        attributes={"displayName": values, "bad name<": ["x"]},
        authenticated_at=datetime(2026, 11, 29, 16, 0, tzinfo=UTC),
        from_new_login=False,
        pgt_iou=None,
        proxies=["https://proxy.example/cb?a=1&b=<2>"],
    )
    tree = ET.fromstring(response.content)
    found = tree.findall("cas:authenticationSuccess/cas:attributes/cas:displayName", NS)
    assert len(found) == len(values)
    assert (
        tree.findtext(
            "cas:authenticationSuccess/cas:attributes/cas:authenticationDate", namespaces=NS
        )
        == "2026-11-29T16:00:00Z"
    )
    assert b"bad name" not in response.content


@pytest.mark.parametrize(
    "path",
    [
        "app/..;/admin/",
        "app/..;jsessionid=1/admin/",
        "app/.;/x",
        "app/%2e%2e;/admin/",
        "app/%252e%252e/admin/",
        "app/%25252e%25252e/admin/",
        "app/%2e%2e%3b/admin/",
        "app/..%5cadmin",
    ],
)
def test_a_path_that_climbs_for_a_java_container_or_after_two_decodings_is_refused(
    path: str,
) -> None:
    """Tomcat and Jetty read "..;" as "..", and a proxy that decodes once more turns %252e%252e
    into ..: none of these stays under the prefix for the service behind it (#21 §4)."""
    assert not covers("https://app.example/app/", "https://app.example/" + path)


def test_dots_inside_a_name_are_no_climb() -> None:
    assert covers("https://app.example/app/", "https://app.example/app/v1..2/x;y=1")
    assert covers("https://app.example/app/", "https://app.example/app/%2Fnotes")
