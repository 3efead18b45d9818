"""Approvals API: the caller's approvals, one approval, and deciding it."""

from uuid import UUID

from ninja import Query, Router

from api.pagination import ordering, page_params, paginate
from api.schemas.workflows import ApprovalDecisionIn, ApprovalFilter, ApprovalOut, ApprovalPageOut
from api.security import require
from core.workflows import selectors, services
from core.workflows.payloads import approval_payload

router = Router(tags=["Approvals"])
ApprovalPageParams = page_params("ApprovalPageParams", selectors.APPROVAL_SORTABLE)


def approval_out(approval) -> dict:
    return {**approval_payload(approval), "contract_title": approval.contract.title}


# Any member of the tenant: an approval may be assigned to anyone, by user or by role; what
# each caller sees and may decide is scoped in the selectors and services.
@router.get("/", response=ApprovalPageOut, auth=require())
def list_approvals(request, filters: Query[ApprovalFilter], page: Query[ApprovalPageParams]):
    order = ordering(page.sort, allowed=selectors.APPROVAL_SORTABLE,
                     default=("-created_at", "-id"))
    qs = selectors.approval_list(principal=request.auth, status=filters.status,
                                 assigned_to=filters.assigned_to, ordering=order)
    return paginate(request, qs, page, approval_out)


@router.get("/{uuid:approval_id}/", response=ApprovalOut, auth=require())
def get_approval(request, approval_id: UUID):
    return approval_out(selectors.approval_get(principal=request.auth, approval_id=approval_id))


@router.put("/{uuid:approval_id}/", response=ApprovalOut, auth=require())
def decide_approval(request, approval_id: UUID, data: ApprovalDecisionIn):
    approval = selectors.approval_get(principal=request.auth, approval_id=approval_id)
    approval = services.approval_decide(
        actor=request.auth, approval_id=approval.pk, status=data.status, comments=data.comments
    )
    return approval_out(approval)
