"""Authentication API: register, login, refresh, logout, me."""

import json

from ninja import Router, Status

from api.openapi import errors
from api.schemas.auth import (
    LoginIn,
    LogoutIn,
    MeOut,
    MessageOut,
    RefreshIn,
    RefreshOut,
    RegisterIn,
    TokensOut,
)
from api.security import authenticated
from core.errors import InvalidInput
from tenants import services

router = Router(tags=["Authentication"])


def _user_brief(user) -> dict:
    return {"user_id": user.pk, "email": user.email, "tenant_id": user.tenant_id}


# 403: sign-up disabled, or the invitation's organization is deactivated.
@router.post("/register/", response={201: TokensOut}, auth=None, openapi_extra=errors(403))
def register(request, data: RegisterIn):
    user, pair = services.register(
        email=data.email, password=data.password, full_name=data.full_name,
        organization=data.organization, invite_token=data.invite_token,
    )
    return Status(201, {**pair, "user": _user_brief(user)})


# 401: wrong email or password; 403: the user's organization is deactivated.
@router.post("/login/", response=TokensOut, auth=None, openapi_extra=errors(401, 403))
def login(request, data: LoginIn):
    user, pair = services.login(email=data.email, password=data.password)
    return {**pair, "user": _user_brief(user)}


@router.post("/refresh/", response=RefreshOut, auth=None, openapi_extra=errors(401))
def refresh(request, data: RefreshIn):
    return services.refresh(refresh_token=data.refresh)


@router.post("/logout/", response=MessageOut, auth=authenticated)
def logout(request):
    # The body is optional; a client may also name the refresh token to revoke.
    body = LogoutIn()
    if request.body:
        try:
            body = LogoutIn.model_validate(json.loads(request.body))
        except (ValueError, TypeError) as exc:
            message = "Expected a JSON object with an optional 'refresh'"
            raise InvalidInput({"body": [message]}) from exc
    principal = request.auth
    services.logout(actor=principal.user, claims=principal.claims, refresh_token=body.refresh)
    return {"message": "Logged out"}


@router.get("/me/", response=MeOut, auth=authenticated)
def me(request):
    principal = request.auth
    user = principal.user
    return {
        **_user_brief(user),
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_staff": user.is_staff,
        "roles": list(principal.roles),
        "permissions": sorted(principal.permissions),
    }
