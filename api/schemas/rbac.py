"""Wire schemas of roles, permissions and invitations."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

from api.schemas.types import Email, Input, RoleId
from core.rbac.permissions import Perm

PermissionName = Literal[tuple(p.value for p in Perm)]
# A role's id is a slug of its name unless given, so the name needs a letter or a digit.
ROLE_NAME = Field(..., min_length=1, max_length=100, pattern=r"[A-Za-z0-9]")


class RoleOut(Schema):
    id: str
    name: str
    description: str
    permissions: list[str]
    is_builtin: bool


class RoleListOut(Schema):
    roles: list[RoleOut]


class RoleIn(Input):
    id: str | None = Field(None, min_length=1, max_length=50, pattern=r"^[a-z][a-z0-9_-]*$")
    name: str = ROLE_NAME
    description: str = Field("", max_length=500)
    permissions: list[PermissionName] = Field(default_factory=list, max_length=100)


class RoleUpdateIn(Input):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=500)
    permissions: list[PermissionName] | None = Field(None, max_length=100)


class PermissionOut(Schema):
    id: str
    name: str
    category: str


class PermissionListOut(Schema):
    permissions: list[PermissionOut]


class InvitationIn(Input):
    email: Email
    roles: list[RoleId] = Field(..., min_length=1, max_length=20)


class InvitationOut(Schema):
    id: UUID
    email: str
    roles: list[str]
    invite_token: str
    expires_at: datetime
