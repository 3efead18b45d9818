"""Admin API: users' roles (tenant admins) and tenants (platform admins only)."""

from uuid import UUID

from ninja import Query, Router, Status

from api.schemas.admin import (
    TenantCreatedOut,
    TenantCreateIn,
    TenantListOut,
    TenantOut,
    TenantUpdateIn,
    UserRolesIn,
    UserRolesListOut,
    UserRolesOut,
)
from api.schemas.users import UserFilter
from api.security import require, staff_only
from core.rbac.permissions import Perm
from core.rbac.selectors import roles_by_user
from tenants import selectors, services

router = Router(tags=["Admin"])


def user_roles_out(user, roles: list[str]) -> dict:
    return {
        "user_id": user.pk,
        "email": user.email,
        "name": user.full_name,
        "roles": roles,
        "is_active": user.is_active,
        "last_login": user.last_login,
        "date_joined": user.date_joined,
    }


def tenant_out(tenant) -> dict:
    return {
        "id": tenant.pk,
        "name": tenant.name,
        "slug": tenant.slug,
        "plan": tenant.plan,
        "is_active": tenant.is_active,
        "created_at": tenant.created_at,
    }


@router.get("/users/roles/", response=UserRolesListOut, auth=require(Perm.VIEW_USERS))
def list_user_roles(request, filters: Query[UserFilter]):
    qs = selectors.users_of_tenant(tenant_id=request.auth.tenant.pk, search=filters.search or "")
    users = list(qs[filters.offset : filters.offset + filters.limit])
    roles = roles_by_user(user_ids=[u.pk for u in users])
    return {
        "user_roles": [user_roles_out(u, roles.get(u.pk, [])) for u in users],
        "total": qs.count(),
    }


@router.put("/users/{uuid:user_id}/roles/", response=UserRolesOut,
            auth=require(Perm.MANAGE_ROLES))
def set_user_roles(request, user_id: UUID, data: UserRolesIn):
    principal = request.auth
    user = selectors.user_get_in_tenant(tenant_id=principal.tenant.pk, user_id=user_id)
    roles = services.user_roles_update(actor=principal.user, user=user, role_ids=data.roles)
    return user_roles_out(user, roles)


@router.get("/tenants/", response=TenantListOut, auth=staff_only)
def list_tenants(request, limit: int = Query(100, ge=1, le=100),
                 offset: int = Query(0, ge=0, le=10_000_000)):
    qs = selectors.tenant_list()
    return {"tenants": [tenant_out(t) for t in qs[offset : offset + limit]], "total": qs.count()}


@router.post("/tenants/", response={201: TenantCreatedOut}, auth=staff_only)
def create_tenant(request, data: TenantCreateIn):
    created = services.tenant_create(
        actor=request.auth.user, name=data.name, slug=data.slug, plan=data.plan,
        admin_email=data.admin_email, admin_password=data.admin_password,
    )
    tenant, admin, invitation = created.tenant, created.admin, created.invitation
    return Status(201, {
        **tenant_out(tenant),
        "domain": tenant.get_primary_domain().domain,
        "admin": {
            "user_id": admin.pk if admin else None,
            "email": data.admin_email,
            "status": "active" if admin else "invited",
        },
        "invite_token": created.invite_token,
        "invite_expires_at": invitation.expires_at if invitation else None,
    })


@router.patch("/tenants/{uuid:tenant_id}/", response=TenantOut, auth=staff_only)
def update_tenant(request, tenant_id: UUID, data: TenantUpdateIn):
    # Omitted (or null) fields stay as they are; an empty body changes nothing.
    changes = data.model_dump(exclude_none=True)
    tenant = selectors.tenant_get(tenant_id=tenant_id)
    return tenant_out(services.tenant_update(actor=request.auth.user, tenant=tenant, data=changes))
