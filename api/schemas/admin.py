"""Wire schemas of the admin API: users' roles and, for platform admins, tenants."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

from api.schemas.types import Email, Input, RoleId, StrictBool
from tenants.services import RESERVED_SLUGS

Plan = Literal["standard", "premium"]


class UserRolesOut(Schema):
    user_id: UUID
    email: str
    name: str
    roles: list[str]
    is_active: bool
    last_login: datetime | None
    date_joined: datetime


class UserRolesListOut(Schema):
    user_roles: list[UserRolesOut]
    total: int


class UserRolesIn(Input):
    roles: list[RoleId] = Field(..., min_length=1, max_length=20)


class TenantOut(Schema):
    id: UUID
    name: str
    slug: str
    plan: str
    is_active: bool
    created_at: datetime


class TenantListOut(Schema):
    tenants: list[TenantOut]
    total: int


class TenantCreateIn(Input):
    name: str = Field(..., min_length=1, max_length=200)
    # The schema is named t_<slug>; PostgreSQL identifiers stop at 63 characters.
    slug: str = Field(..., min_length=2, max_length=40, pattern=r"^[a-z0-9][a-z0-9-]*[a-z0-9]$",
                      json_schema_extra={"not": {"enum": sorted(RESERVED_SLUGS)}})
    plan: Plan = "standard"
    admin_email: Email
    admin_password: str | None = Field(None, min_length=8, max_length=256, pattern=r"[^0-9]")


class TenantAdminOut(Schema):
    user_id: UUID | None
    email: str
    status: Literal["active", "invited"]


class TenantCreatedOut(TenantOut):
    domain: str
    admin: TenantAdminOut
    invite_token: str | None
    invite_expires_at: datetime | None


class TenantUpdateIn(Input):
    plan: Plan | None = None
    is_active: StrictBool | None = None
