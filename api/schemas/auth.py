"""Wire schemas of the authentication API."""

from typing import Annotated
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from ninja import Schema
from pydantic import AfterValidator, Field


def _email(value: str) -> str:
    try:
        validate_email(value)
    except ValidationError as exc:
        raise ValueError("Enter a valid email address") from exc
    return value.strip().lower()


EmailStr = Annotated[str, Field(max_length=254), AfterValidator(_email)]


class RegisterIn(Schema):
    email: EmailStr
    password: str = Field(..., min_length=1, max_length=256)
    full_name: str = Field(..., min_length=1, max_length=300)
    organization: str | None = Field(None, min_length=1, max_length=200)
    invite_token: str | None = Field(None, max_length=200)


class LoginIn(Schema):
    email: str = Field(..., min_length=1, max_length=254)
    password: str = Field(..., min_length=1, max_length=256)


class RefreshIn(Schema):
    refresh: str = Field(..., min_length=1, max_length=4096)


class LogoutIn(Schema):
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
