"""Contracts API: list, create, detail, update, delete, statistics, recent, clone."""

from uuid import UUID

from django.http import HttpResponse
from ninja import Query, Router, Status

from api.pagination import json_response, ordering, page_envelope, page_params
from api.schemas.contracts import (
    CloneIn,
    ContractDetailOut,
    ContractFilter,
    ContractIn,
    ContractOut,
    ContractPageOut,
    ContractUpdateIn,
    RecentContractOut,
    StatisticsOut,
)
from api.security import require
from core.contracts import selectors, services
from core.contracts.payloads import contract_payload, contract_payload_from_row
from core.documents import selectors as document_selectors
from core.documents.payloads import version_summary
from core.rbac.permissions import Perm

router = Router(tags=["Contracts"])
ContractPageParams = page_params("ContractPageParams", selectors.SORTABLE)


contract_out = contract_payload


def _latest_version(c) -> dict | None:
    # One indexed query (the unique (contract, version_number) index read backwards).
    version = document_selectors.version_latest(contract_id=c.pk)
    return version_summary(version) if version else None


def contract_detail_out(c) -> dict:
    return {
        **contract_out(c),
        "template_id": c.template_id,
        "is_approved": c.is_approved,
        "approved_by": c.approved_by_id,
        "approved_at": c.approved_at,
        "executed_at": c.executed_at,
        "latest_version": _latest_version(c),
    }


@router.get("/", response=ContractPageOut, auth=require(Perm.VIEW_CONTRACTS))
def list_contracts(request, filters: Query[ContractFilter], page: Query[ContractPageParams]):
    order = ordering(page.sort, allowed=selectors.SORTABLE, default=("-created_at", "-id"))
    rows, count = selectors.contract_page(status=filters.status, search=filters.search,
                                          ordering=order, offset=page.offset, limit=page.limit)
    results = [contract_payload_from_row(row) for row in rows]
    return json_response(page_envelope(request, page, count, results))


@router.post("/", response={201: ContractDetailOut}, auth=require(Perm.CREATE_CONTRACTS))
def create_contract(request, data: ContractIn):
    contract = services.contract_create(
        actor=request.auth, data=data.model_dump(exclude_none=True)
    )
    return Status(201, contract_detail_out(contract))


@router.get("/statistics/", response=StatisticsOut, auth=require(Perm.VIEW_CONTRACTS))
def contract_statistics(request):
    return selectors.contract_statistics()


@router.get("/recent/", response=list[RecentContractOut], auth=require(Perm.VIEW_CONTRACTS))
def recent_contracts(request, limit: int = Query(10, ge=1, le=100)):
    def name(user) -> str:
        return (user.full_name or user.email) if user else ""

    return [
        {**contract_out(c), "created_by_name": name(c.created_by)}
        for c in selectors.contract_recent(limit=limit)
    ]


@router.get("/{uuid:contract_id}/", response=ContractDetailOut, auth=require(Perm.VIEW_CONTRACTS))
def get_contract(request, contract_id: UUID):
    return json_response(contract_detail_out(selectors.contract_get(contract_id=contract_id)))


@router.put("/{uuid:contract_id}/", response=ContractDetailOut, auth=require(Perm.EDIT_CONTRACTS))
def update_contract(request, contract_id: UUID, data: ContractUpdateIn):
    contract = selectors.contract_get(contract_id=contract_id)
    contract = services.contract_update(
        actor=request.auth, contract_id=contract.pk, data=data.model_dump(exclude_unset=True)
    )
    return contract_detail_out(contract)


@router.delete("/{uuid:contract_id}/", response={204: None}, auth=require(Perm.DELETE_CONTRACTS))
def delete_contract(request, contract_id: UUID):
    contract = selectors.contract_get(contract_id=contract_id)
    services.contract_delete(actor=request.auth, contract_id=contract.pk)
    return HttpResponse(status=204)


@router.post(
    "/{uuid:contract_id}/clone/", response={201: ContractOut}, auth=require(Perm.CREATE_CONTRACTS)
)
def clone_contract(request, contract_id: UUID, data: CloneIn | None = None):
    source = selectors.contract_get(contract_id=contract_id)
    clone = services.contract_clone(
        actor=request.auth, contract_id=source.pk, title=data.title if data else None
    )
    return Status(201, contract_out(clone))
