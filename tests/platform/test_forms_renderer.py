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


@pytest.mark.parametrize(
    ("widget", "value"),
    [
        (forms.TextInput(), 'a "quoted" <b>value</b> & more'),
        (forms.TextInput(attrs={"maxlength": 50, "required": True, "disabled": False}), None),
        (forms.TextInput(), mark_safe("<i>safe</i>")),
        (forms.TextInput(), ""),
        (forms.NumberInput(), 42),
        (forms.EmailInput(attrs={"autocomplete": "email"}), "a@b.cn"),
        (forms.PasswordInput(), "secret"),
        (forms.PasswordInput(render_value=True), "shown"),
        (forms.HiddenInput(), gettext_lazy("浙江")),
        (forms.CheckboxInput(), True),
        (forms.CheckboxInput(), False),
        (forms.DateInput(), "2026-12-02"),
        (forms.FileInput(attrs={"accept": "image/*"}), None),
        (forms.Textarea(attrs={"rows": 3}), "line 1\n<script>x</script>"),
        (forms.Textarea(), ""),
        (forms.Textarea(), None),
        (forms.URLInput(), "https://example.cn/?a=1&b=2"),
    ],
)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_r_l1_input_and_textarea_markup_is_djangos_own(widget, value, language):
    # Given an input or textarea with values that need escaping (or none)
    # When both renderers render it, Then the markup is identical
    with override(language):
        expected = widget.render("f", value, attrs={"id": "id_f"}, renderer=DjangoTemplates())
        got = widget.render("f", value, attrs={"id": "id_f"}, renderer=PortalFormRenderer())
    assert got == expected
    assert "<script>" not in got
    assert "<b>" not in got


def test_r_l1_a_widget_with_its_own_option_template_still_uses_the_templates():
    class Marked(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    # Given a select whose options use another template
    widget = Marked(choices=[("x", "X")])
    # When it is rendered by both renderers, Then they agree (the project's falls back)
    assert widget.render("p", "x", renderer=PortalFormRenderer()) == widget.render(
        "p", "x", renderer=DjangoTemplates()
    )


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_r_l1_choice_labels_read_as_djangos_own_in_the_readers_language(language, alpha, beta):
    from django.db.models import Model

    from filings.models import FilingOrder
    from filings.states import OrderType
    from icpfiling.tenancy.context import tenant_scopes_disabled

    # Given an order of each tenant, one of a type and one with a value outside the choices
    orders = [FilingOrder(tenant=alpha.provider, order_type=t) for t in OrderType.values]
    orders.append(FilingOrder(tenant=beta.provider, order_type="no_such_type"))
    field = FilingOrder._meta.get_field("order_type")
    with tenant_scopes_disabled(), override(language):
        for order in orders:
            # When the label is read, Then it is what Django's own lookup gives, translated
            assert order.get_order_type_display() == Model._get_FIELD_display(order, field)
    with override("en"):
        assert orders[0].get_order_type_display() == "New entity filing"
    assert orders[-1].get_order_type_display() == "no_such_type"
