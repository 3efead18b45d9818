"""Contract actions of the approval workflow: submit, approve, reject."""

from uuid import UUID

from ninja import Router

from api.contracts import contract_detail_out
from api.schemas.contracts import ContractDetailOut
from api.schemas.workflows import ApproveIn, RejectIn, SubmitIn
from api.security import require
from core.contracts import selectors as contract_selectors
from core.rbac.permissions import Perm
from core.workflows import services

router = Router(tags=["Contracts"])


@router.post("/{uuid:contract_id}/submit/", response=ContractDetailOut,
             auth=require(Perm.EDIT_CONTRACTS))
def submit_contract(request, contract_id: UUID, data: SubmitIn | None = None):
    contract = contract_selectors.contract_get(contract_id=contract_id)
    contract = services.contract_submit(
        actor=request.auth, contract_id=contract.pk, workflow_id=data.workflow_id if data else None
    )
    return contract_detail_out(contract)


# Deciding needs no fixed permission: the assignee of the open approval decides, or, for a
# submission without a workflow, a holder of approve_contracts (checked by the service).
@router.post("/{uuid:contract_id}/approve/", response=ContractDetailOut, auth=require())
def approve_contract(request, contract_id: UUID, data: ApproveIn | None = None):
    contract = contract_selectors.contract_get(contract_id=contract_id)
    contract = services.contract_decide(
        actor=request.auth, contract_id=contract.pk, approve=True,
        comments=data.comments if data else None,
    )
    return contract_detail_out(contract)


@router.post("/{uuid:contract_id}/reject/", response=ContractDetailOut, auth=require())
def reject_contract(request, contract_id: UUID, data: RejectIn | None = None):
    contract = contract_selectors.contract_get(contract_id=contract_id)
    contract = services.contract_decide(
        actor=request.auth, contract_id=contract.pk, approve=False,
        comments=data.comments if data else None,
    )
    return contract_detail_out(contract)
