"""SLA admin API: rules (CRUD) and the breaches the periodic scan recorded."""

from django.http import HttpResponse
from ninja import Query, Router, Status

from api.schemas.sla import (
    SLABreachFilter,
    SLABreachListOut,
    SLARuleIn,
    SLARuleListOut,
    SLARuleOut,
    SLARuleUpdateIn,
)
from api.security import require
from core.rbac.permissions import Perm
from core.sla import selectors, services
from core.sla.models import DEFAULT_PRIORITY_LEVELS

router = Router(tags=["SLA"])


def rule_out(rule, tenant) -> dict:
    return {
        "id": rule.public_id,
        "name": rule.name,
        "description": rule.description,
        "tenant_id": tenant.pk,
        "response_time": rule.response_time,
        "resolution_time": rule.resolution_time,
        "priority_levels": rule.priority_levels,
        "contract_types": rule.contract_types,
        "is_active": rule.is_active,
        "created_at": rule.created_at,
        "updated_at": rule.updated_at,
    }


def breach_out(breach) -> dict:
    return {
        "id": breach.id,
        "contract_id": breach.contract_id,
        "sla_rule_id": f"sla-{breach.sla_rule_id}" if breach.sla_rule_id else None,
        "subject_id": breach.subject_id,
        "breach_type": breach.breach_type,
        "breach_time": breach.breach_time,
        "resolution_time": breach.resolution_time,
        "status": breach.status,
        "created_at": breach.created_at,
    }


@router.get("/sla-rules/", response=SLARuleListOut, auth=require(Perm.MANAGE_SLA))
def list_sla_rules(request):
    tenant = request.auth.tenant
    return {"sla_rules": [rule_out(r, tenant) for r in selectors.sla_rule_list()]}


@router.post("/sla-rules/", response={201: SLARuleOut}, auth=require(Perm.MANAGE_SLA))
def create_sla_rule(request, data: SLARuleIn):
    body = data.model_dump()
    body["priority_levels"] = body["priority_levels"] or list(DEFAULT_PRIORITY_LEVELS)
    rule = services.sla_rule_create(actor=request.auth.user, data=body)
    return Status(201, rule_out(rule, request.auth.tenant))


@router.put("/sla-rules/{rule_id}/", response=SLARuleOut, auth=require(Perm.MANAGE_SLA))
def update_sla_rule(request, rule_id: str, data: SLARuleUpdateIn):
    rule = selectors.sla_rule_get(rule_id=rule_id)
    rule = services.sla_rule_update(actor=request.auth.user, rule_id=rule.public_id,
                                    data=data.model_dump(exclude_none=True))
    return rule_out(rule, request.auth.tenant)


@router.delete("/sla-rules/{rule_id}/", response={204: None}, auth=require(Perm.MANAGE_SLA))
def delete_sla_rule(request, rule_id: str):
    rule = selectors.sla_rule_get(rule_id=rule_id)
    services.sla_rule_delete(actor=request.auth.user, rule_id=rule.public_id)
    return HttpResponse(status=204)


@router.get("/sla-breaches/", response=SLABreachListOut, auth=require(Perm.MANAGE_SLA))
def list_sla_breaches(request, filters: Query[SLABreachFilter]):
    qs = selectors.sla_breach_list(status=filters.status, breach_type=filters.breach_type,
                                   contract_id=filters.contract_id)
    rows = qs[filters.offset:filters.offset + filters.limit]
    return {"sla_breaches": [breach_out(b) for b in rows], "total": qs.count()}
