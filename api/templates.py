"""Contract templates API: CRUD, search, publishing, and upload of the template's .docx."""

from uuid import UUID

from django.http import HttpResponse
from ninja import Query, Router, Status

from api.pagination import ordering, page_params, paginate
from api.schemas.templates import (
    TemplateFilter,
    TemplateIn,
    TemplateOut,
    TemplatePageOut,
    TemplateUpdateIn,
)
from api.security import require
from api.uploads import MULTIPART_OPENAPI, read_upload
from core.rbac.permissions import Perm
from core.templates import selectors, services
from core.templates.services import template_payload

router = Router(tags=["Templates"])
TemplatePageParams = page_params("TemplatePageParams", selectors.SORTABLE)


@router.get("/", response=TemplatePageOut, auth=require(Perm.VIEW_TEMPLATES))
def list_templates(request, filters: Query[TemplateFilter], page: Query[TemplatePageParams]):
    order = ordering(page.sort, allowed=selectors.SORTABLE, default=("-created_at", "-id"))
    qs = selectors.template_list(**filters.model_dump(), ordering=order)
    return paginate(request, qs, page, template_payload)


@router.post("/", response={201: TemplateOut}, auth=require(Perm.CREATE_TEMPLATES))
def create_template(request, data: TemplateIn):
    template = services.template_create(actor=request.auth, data=data.model_dump())
    return Status(201, template_payload(template))


@router.get("/{uuid:template_id}/", response=TemplateOut, auth=require(Perm.VIEW_TEMPLATES))
def get_template(request, template_id: UUID):
    return template_payload(selectors.template_get(template_id=template_id))


@router.put("/{uuid:template_id}/", response=TemplateOut, auth=require(Perm.EDIT_TEMPLATES))
def update_template(request, template_id: UUID, data: TemplateUpdateIn):
    template = selectors.template_get(template_id=template_id)
    template = services.template_update(
        actor=request.auth, template_id=template.pk, data=data.model_dump(exclude_unset=True)
    )
    return template_payload(template)


@router.delete("/{uuid:template_id}/", response={204: None},
               auth=require(Perm.DELETE_TEMPLATES))
def delete_template(request, template_id: UUID):
    template = selectors.template_get(template_id=template_id)
    services.template_delete(actor=request.auth, template_id=template.pk)
    return HttpResponse(status=204)


@router.post("/{uuid:template_id}/upload/", response=TemplateOut,
             auth=require(Perm.EDIT_TEMPLATES), openapi_extra=MULTIPART_OPENAPI)
def upload_template_file(request, template_id: UUID):
    """Multipart `file` (.docx): stores it and reads the merge fields from the document."""
    template = selectors.template_get(template_id=template_id)
    data, _ = read_upload(request)
    template = services.template_upload(actor=request.auth, template_id=template.pk, data=data)
    return template_payload(template)
