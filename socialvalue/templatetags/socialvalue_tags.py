"""``{% social_value_panel contract %}``: the social value summary on a contract's page
(nothing for a reader when the contract has no social value recorded)."""

from typing import Any

from django import template

from portal.roles import STAFF, has_role
from socialvalue.selectors import contract_social_value

register = template.Library()


@register.inclusion_tag("socialvalue/_panel.html", takes_context=True)
def social_value_panel(context: dict[str, Any], contract: Any) -> dict[str, Any]:
    request = context.get("request")
    can_edit = has_role(getattr(request, "user", None), *STAFF)
    sv = contract_social_value(contract) if contract is not None else None
    show = sv is not None and (can_edit or not sv.is_empty)
    return {"sv": sv, "contract": contract, "can_edit": can_edit, "show": show}
