"""Django's form renderer, with the plain <input> and <select> widgets written in Python.

Each widget went through two or more template includes and a loop over its attributes: about a
third of the rendering of "Validation Personnel" (8 fields) and of the sign-in page. The output is
character for character what Django's templates give (tests/test_widgets.py compares them);
every other widget still goes through its template.
"""

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.http import HttpRequest
from django.template import Context
from django.template.base import render_value_in_context
from django.template.defaultfilters import stringformat
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString

SELECT, OPTION = "django/forms/widgets/select.html", "django/forms/widgets/select_option.html"
_CONTEXT = Context(autoescape=True)
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


def _attrs(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html."""
    parts = []
    for name, value in attrs.items():
        if value is not False:
            parts.append(f" {_shown(name)}")
            if value is not True:
                parts.append(f'="{_text(value)}"')
    return "".join(parts)


def _shown(value: Any) -> str:
    """{{ value }}, autoescaped."""
    return render_value_in_context(value, _CONTEXT)


def render_input(widget: dict[str, Any]) -> SafeString:
    """django/forms/widgets/input.html, in Python."""
    value = "" if widget["value"] is None else f' value="{_text(widget["value"])}"'
    html = f'<input type="{_shown(widget["type"])}" name="{_shown(widget["name"])}"{value}'
    return SafeString(html + _attrs(widget["attrs"]) + ">")  # nosec B308 B703 -- all escaped


def render_select(widget: dict[str, Any]) -> SafeString | None:
    """django/forms/widgets/select.html and select_option.html, in Python; None for a select
    whose options have templates of their own."""
    parts = [f'<select name="{_shown(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_shown(group_name)}">')
        for option in options:
            if option["template_name"] != OPTION:
                return None
            value, attrs = _text(option["value"]), _attrs(option["attrs"])
            parts.append(f'\n  <option value="{value}"{attrs}>{_shown(option["label"])}</option>\n')
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return SafeString("".join(parts))  # nosec B308 B703 -- every value above is escaped


class Renderer(DjangoTemplates):
    def render(
        self, template_name: str, context: dict[str, Any], request: HttpRequest | None = None
    ) -> str:
        if template_name in INPUTS:
            return render_input(context["widget"])
        if template_name == SELECT and (html := render_select(context["widget"])) is not None:
            return html
        return super().render(template_name, context, request)
