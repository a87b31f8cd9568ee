"""seuil.core.widgets writes plain <input> widgets exactly as Django's templates do."""

from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from hypothesis import given
from hypothesis import strategies as st

from seuil.accounts.forms import SignInForm
from seuil.activation.forms import ActivationForm
from seuil.core.widgets import Renderer

WIDGETS = [
    forms.TextInput,
    forms.PasswordInput,
    forms.EmailInput,
    forms.CheckboxInput,
    forms.HiddenInput,
    forms.NumberInput,
    forms.URLInput,
]
# One renderer of each for every example, as a form has its one default renderer: a new
# DjangoTemplates built a template engine and read the widgets' templates again at each example
# (~45% of these tests' time); what either writes does not depend on it being new.
SEUIL, DJANGO = Renderer(), DjangoTemplates()
TEXT = st.text(alphabet=st.sampled_from("aé <>&\"' :1"), max_size=8)
ATTR = st.one_of(st.booleans(), TEXT, st.integers(), TEXT.map(mark_safe))


@pytest.mark.parametrize("widget", WIDGETS)
@given(
    value=st.one_of(st.none(), TEXT, st.booleans(), TEXT.map(mark_safe)),
    attrs=st.dictionaries(
        st.sampled_from(["class", "required", "autocomplete", "aria-describedby", "data-x"]), ATTR
    ),
)
def test_each_input_is_written_as_django_writes_it(
    widget: type[forms.Widget], value: object, attrs: dict[str, object]
) -> None:
    field = widget(attrs=attrs)
    assert field.render("f", value, renderer=SEUIL) == field.render("f", value, renderer=DJANGO)


CHOICES = st.lists(st.tuples(st.one_of(TEXT, st.integers()), TEXT), max_size=4)


@pytest.mark.parametrize("widget", [forms.Select, forms.SelectMultiple, forms.NullBooleanSelect])
@given(
    choices=st.lists(st.one_of(st.tuples(TEXT, CHOICES), st.tuples(TEXT, TEXT)), max_size=4),
    value=st.one_of(st.none(), TEXT),
    attrs=st.dictionaries(st.sampled_from(["class", "required", "aria-describedby"]), ATTR),
)
def test_each_select_is_written_as_django_writes_it(
    widget: type[forms.Select], choices: list[Any], value: object, attrs: dict[str, object]
) -> None:
    field = widget(attrs=attrs) if widget is forms.NullBooleanSelect else widget(attrs, choices)
    if widget is forms.SelectMultiple:
        value = [value]
    assert field.render("f", value, renderer=SEUIL) == field.render("f", value, renderer=DJANGO)


@pytest.mark.django_db
def test_the_busiest_forms_render_as_with_django_templates() -> None:
    forms_ = [
        SignInForm({"login": "<jean>", "password": "x"}),
        ActivationForm("127.0.0.1", None, {"login": "a&b", "personal_email": '"x"@y'}),
    ]
    for form in forms_:
        form.is_valid()
        for bound in form:
            ours = bound.as_widget()
            form.renderer = DjangoTemplates()
            assert ours == bound.as_widget(), bound.name
            form.renderer = Renderer()
