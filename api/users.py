"""Users API: list the tenant's users, update one, invite new ones."""

from uuid import UUID

from ninja import Query, Router, Status

from api.schemas.rbac import InvitationIn, InvitationOut
from api.schemas.users import UserFilter, UserListOut, UserOut, UserUpdateIn
from api.security import require
from core.rbac.permissions import Perm
from tenants import selectors, services

router = Router(tags=["Users"])


def user_out(user) -> dict:
    return {
        "id": user.pk,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
    }


@router.get("/", response=UserListOut, auth=require(Perm.VIEW_USERS))
def list_users(request, filters: Query[UserFilter]):
    qs = selectors.users_of_tenant(tenant_id=request.auth.tenant.pk, search=filters.search or "")
    rows = qs[filters.offset : filters.offset + filters.limit]
    return {"users": [user_out(u) for u in rows], "total": qs.count()}


@router.put("/{uuid:user_id}/", response=UserOut, auth=require(Perm.MANAGE_USERS))
def update_user(request, user_id: UUID, data: UserUpdateIn):
    # Omitted (or null) fields stay as they are; an empty body changes nothing.
    changes = data.model_dump(exclude_none=True)
    principal = request.auth
    user = selectors.user_get_in_tenant(tenant_id=principal.tenant.pk, user_id=user_id)
    return user_out(services.user_update(actor=principal.user, user=user, data=changes))


@router.post("/invitations/", response={201: InvitationOut}, auth=require(Perm.MANAGE_USERS))
def create_invitation(request, data: InvitationIn):
    principal = request.auth
    invitation, token = services.invitation_create(
        actor=principal.user, tenant=principal.tenant, email=data.email, role_ids=data.roles
    )
    return Status(201, {
        "id": invitation.id,
        "email": invitation.email,
        "roles": invitation.roles,
        "invite_token": token,
        "expires_at": invitation.expires_at,
    })
