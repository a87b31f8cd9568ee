"""django-csp's middleware, with the policy of an ordinary response built once per process.

django-csp builds the Content-Security-Policy header on every response: the settings' directives
copied into a dictionary of some thirty keys and joined again, twice (the policy and the
report-only one), the same text each time unless the response or the request changed it (a
nonce, a view's `_csp_update`). That was about 2 % of a sign-in's CPU around its hash (issue 25
§3). Here an ordinary response gets the text built once; any other goes through django-csp as
before. The text is rebuilt when the settings change (tests), and each worker builds its own.
"""

from functools import cache

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as Base
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponseBase

# What makes a response's policy its own (django-csp's decorators and seuil's views set them).
OWN_POLICY = (
    "_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro",
    "_csp_replace_ro", "_csp_exempt", "_csp_exempt_ro",
)  # fmt: skip


@cache
def _policies() -> tuple[str, str, tuple[str, ...], tuple[str, ...]]:
    """The policy and the report-only one from the settings, and their excluded prefixes."""
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
    report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None) or {}
    return (
        build_policy(),
        build_policy(report_only=True),
        tuple(policy.get("EXCLUDE_URL_PREFIXES", None) or ()),
        tuple(report_only.get("EXCLUDE_URL_PREFIXES", None) or ()),
    )


def _forget(*, setting: str, **_: object) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _policies.cache_clear()


setting_changed.connect(_forget, dispatch_uid="seuil.security.csp")


class CSPMiddleware(Base):
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if getattr(request, "_csp_nonce", None) is not None or any(
            hasattr(response, name) for name in OWN_POLICY
        ):
            return super().process_response(request, response)
        if settings.DEBUG and response.status_code in {404, 500}:
            return response  # django-csp leaves the debug pages alone
        policy, report_only, excluded, excluded_ro = _policies()
        path = request.path_info
        if policy and HEADER not in response and not path.startswith(excluded):
            response[HEADER] = policy
        if report_only and HEADER_REPORT_ONLY not in response and not path.startswith(excluded_ro):
            response[HEADER_REPORT_ONLY] = report_only
        # As django-csp: a nonce asked for after the header is written is an error, not a page
        # whose scripts silently fail.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
