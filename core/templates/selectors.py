"""Reads of contract templates."""

from django.db.models import Q

from core.errors import NotFound
from core.lookups import contains_pattern
from core.templates.models import ContractTemplate

SORTABLE = {
    "created_at": "created_at",
    "updated_at": "updated_at",
    "name": "name",
    "contract_type": "contract_type",
    "status": "status",
    "version": "version",
}


def template_get(*, template_id) -> ContractTemplate:
    template = ContractTemplate.objects.filter(pk=template_id).first()
    if template is None:
        raise NotFound()
    return template


def template_list(
    *, search: str | None = None, status: str | None = None, contract_type: str | None = None,
    ordering=(),
):
    qs = ContractTemplate.objects.all()
    if status:
        qs = qs.filter(status=status)
    if contract_type:
        qs = qs.filter(contract_type__iexact=contract_type)
    if search:
        pattern = contains_pattern(search)
        qs = qs.filter(Q(name__ilike=pattern) | Q(description__ilike=pattern)
                       | Q(contract_type__ilike=pattern))
    return qs.order_by(*(ordering or ("-created_at", "-id")))
