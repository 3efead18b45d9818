"""Wire schemas of roles, permissions and invitations."""

from datetime import datetime
from uuid import UUID

from ninja import Schema
from pydantic import Field

from api.schemas.auth import EmailStr


class RoleOut(Schema):
    id: str
    name: str
    description: str
    permissions: list[str]
    is_builtin: bool


class RoleListOut(Schema):
    roles: list[RoleOut]


class RoleIn(Schema):
    id: str | None = Field(None, min_length=1, max_length=50, pattern=r"^[a-z][a-z0-9_-]*$")
    name: str = Field(..., min_length=1, max_length=100)
    description: str = Field("", max_length=500)
    permissions: list[str] = Field(default_factory=list, max_length=100)


class RoleUpdateIn(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=500)
    permissions: list[str] | None = Field(None, max_length=100)


class PermissionOut(Schema):
    id: str
    name: str
    category: str


class PermissionListOut(Schema):
    permissions: list[PermissionOut]


class InvitationIn(Schema):
    email: EmailStr
    roles: list[str] = Field(..., min_length=1, max_length=20)


class InvitationOut(Schema):
    id: UUID
    email: str
    roles: list[str]
    invite_token: str
    expires_at: datetime
