"""Where `make run`'s demonstration services listen, and how the registry names them.

They sit beside seuil, on the next two ports, under another host name than seuil's (localhost
when seuil is 127.0.0.1): the browser then keeps their cookies apart from seuil's, as it would
for services on their own hosts. `load_demo` registers them, `run_demo` starts them.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class DemoSite:
    kind: str  # "oidc" or "cas": the module of seuil.demo.services that serves it
    name: str
    name_en: str
    description: str
    description_en: str
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"


def _port(base_url: str) -> int:
    parts = urlsplit(base_url)
    return parts.port or (443 if parts.scheme == "https" else 80)


def demo_sites(base_url: str) -> list[DemoSite]:
    """The two services of the demo, for seuil at `base_url` (SEUIL_BASE_URL)."""
    seuil_host = urlsplit(base_url).hostname or ""
    host = "127.0.0.1" if seuil_host == "localhost" else "localhost"
    port = _port(base_url)
    return [
        DemoSite(
            kind="oidc",
            name="Démo OpenID Connect",
            name_en="OpenID Connect demo",
            description="Un vrai service de démonstration : il vous connecte par OpenID Connect "
            "(Authlib) et montre ce qu'il reçoit.",
            description_en="A real demonstration service: it signs you in over OpenID Connect "
            "(Authlib) and shows what it receives.",
            host=host,
            port=port + 1,
        ),
        DemoSite(
            kind="cas",
            name="Démo CAS",
            name_en="CAS demo",
            description="Un vrai service de démonstration : il vous connecte par CAS 3 "
            "(python-cas) et montre les attributs reçus.",
            description_en="A real demonstration service: it signs you in over CAS 3 "
            "(python-cas) and shows the attributes it receives.",
            host=host,
            port=port + 2,
        ),
    ]
