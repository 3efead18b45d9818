"""Wire schemas of the tenant users API."""

from datetime import datetime
from uuid import UUID

from ninja import Schema
from pydantic import Field

from api.schemas.types import Input, StrictBool


class UserOut(Schema):
    id: UUID
    email: str
    first_name: str
    last_name: str
    is_active: bool
    is_staff: bool
    date_joined: datetime
    last_login: datetime | None


class UserListOut(Schema):
    users: list[UserOut]
    total: int


class UserFilter(Schema):
    limit: int = Field(20, ge=1, le=100)
    offset: int = Field(0, ge=0, le=10_000_000)
    search: str | None = Field(None, max_length=100)


class UserUpdateIn(Input):
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    is_active: StrictBool | None = None
