"""The project's form renderer gives the markup Django's templates give, faster."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from icpfiling.core.forms_renderer import PortalFormRenderer

CHOICES = [
    ("", "— 选择 —"),
    ("a&b", 'A "quoted" <b>label</b>'),
    (3, "three"),
    ("省份", [("zj", gettext_lazy("浙江")), ("gd", "广东")]),
    ("safe", mark_safe("<i>safe</i>")),
]


@pytest.mark.parametrize(
    ("widget", "value"),
    [
        (forms.Select(choices=CHOICES), "a&b"),
        (forms.Select(choices=CHOICES, attrs={"disabled": True, "data-x": '"<>', "required": False}), 3),
        (forms.Select(choices=CHOICES), None),
        (forms.SelectMultiple(choices=CHOICES), ["zj", "3"]),
        (forms.NullBooleanSelect(), True),
    ],
)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_r_l1_select_markup_is_djangos_own_escaped_the_same_way(widget, value, language):
    # Given a select widget with groups, escaping-prone values and labels, lazy and safe labels
    # When it is rendered by Django's template renderer and by the project's renderer
    with override(language):
        expected = widget.render("pick", value, attrs={"id": "id_pick"}, renderer=DjangoTemplates())
        got = widget.render("pick", value, attrs={"id": "id_pick"}, renderer=PortalFormRenderer())
    # Then the markup is identical, character for character
    assert got == expected
    if widget.choices == CHOICES:
        assert "<b>" not in got
        assert "&lt;b&gt;" in got


def test_r_l1_a_widget_with_its_own_option_template_still_uses_the_templates():
    class Marked(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    # Given a select whose options use another template
    widget = Marked(choices=[("x", "X")])
    # When it is rendered by both renderers, Then they agree (the project's falls back)
    assert widget.render("p", "x", renderer=PortalFormRenderer()) == widget.render(
        "p", "x", renderer=DjangoTemplates()
    )
