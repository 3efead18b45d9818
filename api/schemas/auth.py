"""Wire schemas of the authentication API."""

from uuid import UUID

from ninja import Schema
from pydantic import Field

from api.schemas.types import Email, Input

# Django's password validators (settings.AUTH_PASSWORD_VALIDATORS) as far as a schema can say:
# at least 8 characters, not only digits. Common passwords and ones close to the name or email
# are still refused with 400.
Password = Field(..., min_length=8, max_length=256, pattern=r"[^0-9]",
                 description="At least 8 characters, not all digits, not a common password")


class RegisterIn(Input):
    email: Email
    password: str = Password
    full_name: str = Field(..., min_length=1, max_length=300)
    organization: str | None = Field(None, min_length=1, max_length=200)
    invite_token: str | None = Field(None, max_length=200)


class LoginIn(Input):
    email: str = Field(..., min_length=1, max_length=254)
    password: str = Field(..., min_length=1, max_length=256)


class RefreshIn(Input):
    refresh: str = Field(..., min_length=1, max_length=4096)


class LogoutIn(Input):
    refresh: str | None = Field(None, max_length=4096)


class UserBriefOut(Schema):
    user_id: UUID
    email: str
    tenant_id: UUID | None


class TokensOut(Schema):
    access: str
    refresh: str
    user: UserBriefOut


class RefreshOut(Schema):
    access: str
    refresh: str


class MessageOut(Schema):
    message: str


class MeOut(UserBriefOut):
    first_name: str
    last_name: str
    is_staff: bool
    roles: list[str]
    permissions: list[str]
