"""The project's form renderer: Django's templates, with ``<select>``, ``<input>`` and
``<textarea>`` built in Python.

Django renders every widget, and every ``<option>``, through template includes. A reviewer's
order page carries about 290 options (the field-level return rows list every field of the
order), which cost about 17 ms of CPU per page view, a third of the page; built here they cost
well under one. The markup is the same as Django's templates give (``select.html``,
``select_option.html``, ``input.html``, ``textarea.html``, ``attrs.html``), values and labels
escaped the same way; any other widget, and a select with its own option template, still goes
through the templates.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


def _text(value) -> str:
    # ``|stringformat:'s'`` then autoescape: a safe string stays as it is, anything else escaped.
    return conditional_escape(value if isinstance(value, str) else str(value))


def _attrs(attrs: dict) -> str:
    # attrs.html: False leaves the attribute out, True writes its bare name.
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {conditional_escape(name)}")
        else:
            out.append(f' {conditional_escape(name)}="{_text(value)}"')
    return "".join(out)


def render_select(widget: dict) -> str | None:
    """The HTML of a ``Select``/``SelectMultiple`` widget context, or None to use the templates."""
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in options:
            if option.get("template_name") != OPTION:
                return None
            parts.append(
                f'\n  <option value="{_text(option["value"])}"'
                f"{_attrs(option['attrs'])}>{conditional_escape(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


# Widget templates that are nothing but an include of input.html (text, hidden, email …).
_INPUTS = frozenset(
    f"django/forms/widgets/{kind}.html"
    for kind in (
        "checkbox", "color", "date", "datetime", "email", "file", "hidden", "number",
        "password", "search", "tel", "text", "time", "url",
    )
)  # fmt: skip
TEXTAREA = "django/forms/widgets/textarea.html"


def render_input(widget: dict) -> str:
    """input.html (Django's renderer strips the newlines the template files end with)."""
    value = "" if widget["value"] is None else f' value="{_text(widget["value"])}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"'
        f"{value}{_attrs(widget['attrs'])}>"
    )


def render_textarea(widget: dict) -> str:
    value = conditional_escape(widget["value"]) if widget["value"] else ""
    name = conditional_escape(widget["name"])
    return f'<textarea name="{name}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


class PortalFormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        html = None
        if template_name == SELECT:
            html = render_select(context["widget"])
        elif template_name in _INPUTS:
            html = render_input(context["widget"])
        elif template_name == TEXTAREA:
            html = render_textarea(context["widget"])
        if html is not None:
            return mark_safe(html)  # noqa: S308 - every value, attribute and label above is escaped
        return super().render(template_name, context, request=request)
