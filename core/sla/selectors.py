"""Reads of SLA rules and breaches."""

import re

from django.db.models import Q

from core.errors import NotFound
from core.sla.models import SLABreach, SLARule

_PUBLIC_ID = re.compile(r"^sla-(\d{1,18})$")


def sla_rule_pk(rule_id: str) -> int:
    """The row id behind a public id ("sla-3"); anything else is a NotFound."""
    match = _PUBLIC_ID.match(rule_id or "")
    if match is None:
        raise NotFound()
    return int(match.group(1))


def sla_rule_get(*, rule_id: str) -> SLARule:
    rule = SLARule.objects.filter(pk=sla_rule_pk(rule_id)).first()
    if rule is None:
        raise NotFound()
    return rule


def sla_rule_list():
    return SLARule.objects.order_by("created_at", "id")


def sla_rule_for_contract(*, contract_type: str) -> SLARule | None:
    """The strictest active rule that covers this kind of contract, if any."""
    return (
        SLARule.objects.filter(is_active=True)
        .filter(Q(contract_types=[]) | Q(contract_types__contains=[contract_type]))
        .order_by("response_time", "resolution_time", "id")
        .first()
    )


def sla_breach_list(*, status: str | None = None, breach_type: str | None = None,
                    contract_id=None):
    qs = SLABreach.objects.all()
    if status:
        qs = qs.filter(status=status)
    if breach_type:
        qs = qs.filter(breach_type=breach_type)
    if contract_id:
        qs = qs.filter(contract_id=contract_id)
    return qs.order_by("-created_at", "-id")
