"""Users API: invitations."""

from ninja import Router, Status

from api.schemas.rbac import InvitationIn, InvitationOut
from api.security import require
from core.rbac.permissions import Perm
from tenants import services

router = Router(tags=["Users"])


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
