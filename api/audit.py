"""Audit-log API: list, statistics, CSV export, chain verification, and contract history."""

from uuid import UUID

from django.http import StreamingHttpResponse
from django.utils import timezone
from ninja import Query, Router

from api.pagination import page_params, paginate
from api.schemas.audit import (
    AuditFilter,
    AuditPageOut,
    AuditStatsOut,
    AuditVerifyOut,
    HistoryOut,
)
from api.security import require
from core.audit import selectors
from core.contracts.selectors import contract_get
from core.rbac.permissions import Perm

router = Router(tags=["Audit logs"])
# Mounted at /contracts/ beside the contracts router: the history of one contract.
history_router = Router(tags=["Audit logs"])
# The log has one order, newest first; the chain's sequence defines it.
AuditPageParams = page_params("AuditPageParams", ["-created_at"])


def audit_out(row) -> dict:
    return {
        "id": row.id,
        "entity_type": row.entity_type,
        "entity_id": row.entity_id,
        "action": row.action,
        "performed_by": row.performed_by_id,
        "performer_email": row.performer_email,
        "changes": row.changes,
        "metadata": row.metadata,
        "created_at": row.created_at,
    }


def _filters(filters: AuditFilter) -> dict:
    return filters.model_dump(exclude_none=True)


@router.get("/", response=AuditPageOut, auth=require(Perm.VIEW_AUDIT_LOGS))
def list_audit_logs(request, filters: Query[AuditFilter], page: Query[AuditPageParams]):
    return paginate(request, selectors.audit_list(**_filters(filters)), page, audit_out)


@router.get("/stats/", response=AuditStatsOut, auth=require(Perm.VIEW_AUDIT_LOGS))
def audit_stats(request, days: int = Query(30, ge=1, le=366)):
    return selectors.audit_stats(days=days)


@router.get("/verify/", response=AuditVerifyOut, auth=require(Perm.VIEW_AUDIT_LOGS))
def verify_audit_logs(request):
    return selectors.audit_verify()


@router.get("/export/", auth=require(Perm.VIEW_AUDIT_LOGS))
def export_audit_logs(request, filters: Query[AuditFilter]):
    response = StreamingHttpResponse(
        selectors.audit_export_lines(**_filters(filters)), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    return response


@history_router.get(
    "/{uuid:contract_id}/history/", response=HistoryOut, auth=require(Perm.VIEW_CONTRACTS)
)
def contract_history(request, contract_id: UUID):
    contract = contract_get(contract_id=contract_id)
    rows = selectors.entity_history(entity_type="contract", entity_id=contract.pk)
    return {"history": [audit_out(row) for row in rows]}
