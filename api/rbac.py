"""Roles and permissions API."""

from django.http import HttpResponse
from ninja import Router, Status

from api.schemas.rbac import PermissionListOut, RoleIn, RoleListOut, RoleOut, RoleUpdateIn
from api.security import require
from core.errors import NotFound
from core.rbac import selectors, services
from core.rbac.permissions import Perm, describe

router = Router(tags=["Roles and permissions"])


def role_out(role) -> dict:
    return {
        "id": role.id,
        "name": role.name,
        "description": role.description,
        "permissions": role.permissions,
        "is_builtin": role.is_builtin,
    }


@router.get("/roles/", response=RoleListOut, auth=require())
def list_roles(request):
    return {"roles": [role_out(r) for r in selectors.role_list()]}


@router.post("/roles/", response={201: RoleOut}, auth=require(Perm.MANAGE_ROLES))
def create_role(request, data: RoleIn):
    role = services.role_create(
        actor=request.auth.user, role_id=data.id, name=data.name,
        description=data.description, permissions=data.permissions,
    )
    return Status(201, role_out(role))


@router.put("/roles/{role_id}/", response=RoleOut, auth=require(Perm.MANAGE_ROLES))
def update_role(request, role_id: str, data: RoleUpdateIn):
    if selectors.role_get(role_id=role_id) is None:
        raise NotFound()
    role = services.role_update(
        actor=request.auth.user, role_id=role_id, data=data.model_dump(exclude_none=True)
    )
    return role_out(role)


@router.delete("/roles/{role_id}/", response={204: None}, auth=require(Perm.MANAGE_ROLES))
def delete_role(request, role_id: str):
    if selectors.role_get(role_id=role_id) is None:
        raise NotFound()
    services.role_delete(actor=request.auth.user, role_id=role_id)
    return HttpResponse(status=204)


@router.get("/permissions/", response=PermissionListOut, auth=require())
def list_permissions(request):
    return {"permissions": [describe(p) for p in Perm]}
