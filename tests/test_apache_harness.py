"""The Apache harness the SSO client tests stand on: it starts, serves its CGI, and stops."""

import httpx

from tests.apache import _listening, running_apache


def test_apache_serves_the_cgi_on_127_0_0_2_and_stops_cleanly() -> None:
    body = """
<Location /cgi/whoami>
  SetEnv OIDC_CLAIM_email jean.dupont@univ.example
  SetEnv CAS_mail jean.dupont@univ.example
</Location>
"""
    with running_apache(body, modules=[]) as apache:
        assert apache.url.startswith("http://127.0.0.2:")
        page = httpx.get(f"{apache.url}/cgi/whoami", timeout=5).text
        port, process = apache.port, apache.process
    assert page.splitlines() == [
        "REMOTE_USER=",
        "CAS_mail=jean.dupont@univ.example",
        "OIDC_CLAIM_email=jean.dupont@univ.example",
    ]
    assert process.poll() is not None
    assert not _listening(port)
