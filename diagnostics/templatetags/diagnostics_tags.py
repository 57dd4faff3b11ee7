from typing import Any

from django import forms, template

NON_FIELD_ERRORS = "__all__"

register = template.Library()


@register.filter
def error_links(form: forms.Form) -> list[tuple[str, str]]:
    """(anchor, message) pairs for a GOV.UK error summary, each linked to its field.

    Radios link to their first option; other fields to their input.
    """
    own = getattr(form, "error_links", None)
    if callable(own):
        links: list[tuple[str, str]] = own()
        return links
    links = []
    for name, errors in form.errors.items():
        if name == NON_FIELD_ERRORS or name not in form.fields:
            anchor = "main-content"
        else:
            bound = form[name]
            anchor = bound.auto_id or name
            if isinstance(bound.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
                anchor = f"{anchor}_0"
        links.extend((anchor, str(error)) for error in errors)
    return links


@register.filter
def signed(value: Any) -> str:
    """A change with its sign: +0.50, -1.00, 0.00."""
    if value is None:
        return ""
    return f"+{value}" if value > 0 else str(value)
