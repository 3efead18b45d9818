"""Workflows API: list, create, detail, update, delete, and a workflow's instances."""

from uuid import UUID

from django.http import HttpResponse
from ninja import Query, Router, Status

from api.pagination import ordering, page_params, paginate
from api.schemas.workflows import (
    InstanceFilter,
    InstanceOut,
    WorkflowFilter,
    WorkflowIn,
    WorkflowOut,
    WorkflowPageOut,
    WorkflowUpdateIn,
)
from api.security import require
from core.rbac.permissions import Perm
from core.workflows import selectors, services
from core.workflows.payloads import instance_payload, workflow_payload

router = Router(tags=["Workflows"])
WorkflowPageParams = page_params("WorkflowPageParams", selectors.SORTABLE)


@router.get("/", response=WorkflowPageOut, auth=require(Perm.VIEW_WORKFLOWS))
def list_workflows(request, filters: Query[WorkflowFilter], page: Query[WorkflowPageParams]):
    order = ordering(page.sort, allowed=selectors.SORTABLE, default=("-created_at", "-id"))
    qs = selectors.workflow_list(status=filters.status, ordering=order)
    return paginate(request, qs, page, workflow_payload)


@router.post("/", response={201: WorkflowOut}, auth=require(Perm.MANAGE_WORKFLOWS))
def create_workflow(request, data: WorkflowIn):
    workflow = services.workflow_create(actor=request.auth, data=data.model_dump())
    return Status(201, workflow_payload(workflow))


@router.get("/{uuid:workflow_id}/", response=WorkflowOut, auth=require(Perm.VIEW_WORKFLOWS))
def get_workflow(request, workflow_id: UUID):
    return workflow_payload(selectors.workflow_get(workflow_id=workflow_id))


@router.put("/{uuid:workflow_id}/", response=WorkflowOut, auth=require(Perm.MANAGE_WORKFLOWS))
def update_workflow(request, workflow_id: UUID, data: WorkflowUpdateIn):
    workflow = selectors.workflow_get(workflow_id=workflow_id)
    workflow = services.workflow_update(
        actor=request.auth, workflow_id=workflow.pk, data=data.model_dump(exclude_unset=True)
    )
    return workflow_payload(workflow)


@router.delete("/{uuid:workflow_id}/", response={204: None},
               auth=require(Perm.MANAGE_WORKFLOWS))
def delete_workflow(request, workflow_id: UUID):
    workflow = selectors.workflow_get(workflow_id=workflow_id)
    services.workflow_delete(actor=request.auth, workflow_id=workflow.pk)
    return HttpResponse(status=204)


@router.get("/{uuid:workflow_id}/instances/", response=list[InstanceOut],
            auth=require(Perm.VIEW_WORKFLOWS))
def list_instances(request, workflow_id: UUID, filters: Query[InstanceFilter]):
    """A plain array as in the reference, newest first, windowed by limit/offset."""
    workflow = selectors.workflow_get(workflow_id=workflow_id)
    qs = selectors.workflow_instances(workflow_id=workflow.pk, status=filters.status)
    return [instance_payload(i) for i in qs[filters.offset:filters.offset + filters.limit]]
