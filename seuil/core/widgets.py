"""Django's form renderer, with the plain <input> widgets written in Python.

Each field's widget went through two template includes and a loop over its attributes: about a
third of the rendering of "Validation Personnel" (8 fields) and of the sign-in page. The output is
character for character what Django's templates give (tests/test_widgets.py compares them);
every other widget still goes through its template.
"""

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.http import HttpRequest
from django.template.defaultfilters import stringformat
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString

# Each of these is `{% include "django/forms/widgets/input.html" %}` and nothing else.
INPUTS = frozenset(
    f"django/forms/widgets/{kind}.html"
    for kind in ("input", "text", "password", "email", "checkbox", "hidden", "number", "url")
)


def _text(value: Any) -> str:
    """{{ value|stringformat:'s' }}: the filter keeps safe what was safe, then autoescape."""
    formatted = stringformat(value, "s")
    if isinstance(value, SafeData):
        return formatted  # the template leaves it unescaped too
    return conditional_escape(formatted)


def render_input(widget: dict[str, Any]) -> SafeString:
    """django/forms/widgets/input.html and attrs.html, in Python."""
    parts = [f'<input type="{conditional_escape(widget["type"])}"']
    parts.append(f' name="{conditional_escape(widget["name"])}"')
    if widget["value"] is not None:
        parts.append(f' value="{_text(widget["value"])}"')
    for name, value in widget["attrs"].items():
        if value is not False:
            parts.append(f" {conditional_escape(name)}")
            if value is not True:
                parts.append(f'="{_text(value)}"')
    parts.append(">")
    return SafeString("".join(parts))  # nosec B308 B703 -- every value above is escaped


class Renderer(DjangoTemplates):
    def render(
        self, template_name: str, context: dict[str, Any], request: HttpRequest | None = None
    ) -> str:
        if template_name in INPUTS:
            return render_input(context["widget"])
        return super().render(template_name, context, request)
