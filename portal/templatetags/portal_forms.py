"""The portal's one UI kit for forms: ``{% load portal_forms %}``.

``{% error_summary form other_form %}`` is the one GOV.UK error summary, each message
linked to the input it is about; ``{% include "portal/_field.html" with field=form.x %}``
renders any field the GOV.UK way (it asks ``field|govuk_kind`` which pattern to use), with
its hint and error message tied to the input by ``aria-describedby``.
"""

from typing import Any

from django import forms, template
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.safestring import SafeString

from portal.forms import GovukDateInput

register = template.Library()

# The GOV.UK class of each kind of input, and its error modifier.
INPUT_CLASS = {
    "text": "govuk-input",
    "textarea": "govuk-textarea",
    "select": "govuk-select",
    "file": "govuk-file-upload",
}


def govuk_kind_of(widget: forms.Widget) -> str:
    if isinstance(widget, GovukDateInput):
        return "date"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.HiddenInput):
        return "hidden"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.FileInput):
        return "file"
    return "text"


@register.filter
def govuk_kind(field: forms.BoundField) -> str:
    return govuk_kind_of(field.field.widget)


def anchor_of(field: forms.BoundField) -> str:
    """The id an error summary links to: the first option of radios and checkboxes, the
    day box of a date, otherwise the input."""
    kind = govuk_kind_of(field.field.widget)
    if kind in ("radios", "checkboxes"):
        return f"{field.auto_id}_0"
    if kind == "date":
        return f"{field.auto_id}_day"
    return field.id_for_label or field.auto_id or field.html_name


def described_by(field: forms.BoundField) -> str:
    ids = []
    if field.help_text or govuk_kind_of(field.field.widget) == "date":
        ids.append(f"{field.auto_id}-hint")
    if field.errors:
        ids.append(f"{field.auto_id}-error")
    return " ".join(ids)


@register.filter
def aria_describedby(field: forms.BoundField) -> str:
    return described_by(field)


@register.filter
def govuk_widget(field: forms.BoundField) -> SafeString:
    """The input with its GOV.UK class (and error modifier) and aria-describedby."""
    kind = govuk_kind_of(field.field.widget)
    attrs: dict[str, Any] = {}
    base = INPUT_CLASS.get(kind)
    if base:
        own = field.field.widget.attrs.get("class", "")
        classes = own if base in own.split() else f"{base} {own}".strip()
        if field.errors:
            classes += f" {base}--error"
        attrs["class"] = classes
    if kind == "date":
        # The hint and error belong to the fieldset round the three boxes.
        if field.errors:
            attrs["error"] = True
    elif described := described_by(field):
        attrs["aria-describedby"] = described
    return field.as_widget(attrs=attrs)


@register.inclusion_tag("portal/_error_summary.html")
def error_summary(
    *forms_: Any,
    title: str = "There is a problem",
    message: str = "",
    anchor: str = "main-content",
) -> dict:
    """One GOV.UK error summary for the forms on a page, in the order their fields appear;
    a form-wide error links to the form's first field. A page with no form gives the
    ``message`` and the ``anchor`` of what it is about."""
    links: list[tuple[str, str]] = [(anchor, str(message))] if message else []
    for form in forms_:
        if not isinstance(form, forms.BaseForm) or not form.is_bound or not form.errors:
            continue
        own = getattr(form, "error_links", None)
        if callable(own):
            links.extend(own())
            continue
        visible = [form[name] for name in form.fields if not form[name].is_hidden]
        first = anchor_of(visible[0]) if visible else "main-content"
        for error in form.errors.get(NON_FIELD_ERRORS, []):
            links.append((first, str(error)))
        for bound in visible:
            links.extend((anchor_of(bound), str(error)) for error in bound.errors)
        for name, errors in form.errors.items():
            if name != NON_FIELD_ERRORS and (name not in form.fields or form[name].is_hidden):
                links.extend((first, str(error)) for error in errors)
    return {"links": links, "title": title}
