"""Bearer-token authentication and the permission each operation declares."""

import sentry_sdk
from ninja.security import HttpBearer

from core.errors import AuthenticationFailed, PermissionDenied
from core.rbac.access import Principal, build_principal
from core.rbac.selectors import user_with_role_permissions
from tenants import selectors as tenant_selectors
from tenants import tokens


class TokenAuth(HttpBearer):
    """Validates the access token that the tenant middleware decoded and builds the principal.

    `permission` is what the operation needs; `staff` marks platform-admin operations;
    `tenant_required` is false for operations that make sense without a tenant (auth/me);
    `staff_allowed` also lets platform admins in (system health).
    """

    def __init__(self, permission=None, *, staff: bool = False, tenant_required: bool = True,
                 staff_allowed: bool = False):
        super().__init__()
        self.permission = permission
        self.staff = staff
        self.tenant_required = tenant_required and not staff
        self.staff_allowed = staff_allowed

    def authenticate(self, request, token: str) -> Principal:
        principal = principal_for_request(request)
        if self.staff:
            if not principal.user.is_staff:
                raise PermissionDenied()
            return principal
        if self.staff_allowed and principal.user.is_staff:
            return principal
        if self.tenant_required and principal.tenant is None:
            raise PermissionDenied("This operation needs a tenant; platform admins use /api/admin/")
        if self.permission is not None:
            principal.require(self.permission)
        return principal


def principal_for_request(request) -> Principal:
    """The caller, built once per request: the rate limiter needs it before the operation runs."""
    principal = getattr(request, "_principal", None)
    if principal is None:
        if getattr(request, "_token_revoked", False):
            raise AuthenticationFailed()
        principal = _principal_for(request)
        accept_principal(request, principal, revoked=False)
    return principal


def principal_unless_revoked(request, loaded: tuple | None = None) -> Principal:
    """The caller as `principal_for_request` builds it, minus the token denylist check.

    For the rate limiter, which checks the denylist in the same Redis script as the limit and
    then calls `accept_principal`: one Redis round trip per request instead of two. `loaded`
    is the (user, role permissions) it already has (core.rbac.principal_cache).
    """
    return _principal_for(request, check_revoked=False, loaded=loaded)


def user_and_role_permissions(request) -> tuple:
    """(user or None, {role id: permissions}) of the token's subject, from the database."""
    if getattr(request, "tenant", None) is not None:
        return user_with_role_permissions(user_id=request.token_claims["sub"])
    return tenant_selectors.user_get(user_id=request.token_claims["sub"]), {}


def accept_principal(request, principal: Principal, *, revoked: bool) -> None:
    if revoked:
        request._token_revoked = True
        return
    request._principal = principal
    # Ids only: error reports carry no personal data by default.
    sentry_sdk.set_tag("tenant_id", str(principal.tenant.pk) if principal.tenant else "none")
    sentry_sdk.set_tag("user_id", str(principal.user.pk))


def _principal_for(request, *, check_revoked: bool = True,
                   loaded: tuple | None = None) -> Principal:
    claims = getattr(request, "token_claims", None)
    if not claims or getattr(request, "token_conflict", False):
        raise AuthenticationFailed()
    if check_revoked and tokens.is_access_revoked(claims):
        raise AuthenticationFailed()
    tenant = getattr(request, "tenant", None)
    user, role_permissions = loaded or user_and_role_permissions(request)
    if (
        user is None
        or not user.is_active
        or tokens.is_stale(claims, user)
        or str(user.tenant_id or "") != claims["tid"]
        or (tenant is not None and tenant.pk != user.tenant_id)
    ):
        raise AuthenticationFailed()
    return build_principal(user, tenant, role_permissions, claims)


def require(permission=None, *, staff_allowed: bool = False) -> TokenAuth:
    return TokenAuth(permission, staff_allowed=staff_allowed)


authenticated = TokenAuth(tenant_required=False)
staff_only = TokenAuth(staff=True)
