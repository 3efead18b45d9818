"""Wire schemas of the contract templates API."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

TemplateStatusValue = Literal["draft", "published", "archived"]


class TemplateIn(Schema):
    name: str = Field(..., min_length=1, max_length=255)
    contract_type: str = Field(..., min_length=1, max_length=100)
    description: str = Field("", max_length=5000)
    r2_key: str = Field("", max_length=500)
    merge_fields: list[str] = Field(default_factory=list, max_length=200)
    mandatory_clauses: list[str] = Field(default_factory=list, max_length=200)
    business_rules: dict[str, Any] = Field(default_factory=dict)
    status: TemplateStatusValue = "draft"


class TemplateUpdateIn(Schema):
    name: str | None = Field(None, min_length=1, max_length=255)
    contract_type: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=5000)
    r2_key: str | None = Field(None, max_length=500)
    merge_fields: list[str] | None = Field(None, max_length=200)
    mandatory_clauses: list[str] | None = Field(None, max_length=200)
    business_rules: dict[str, Any] | None = None
    status: TemplateStatusValue | None = None


class TemplateFilter(Schema):
    search: str | None = Field(None, max_length=200)
    status: TemplateStatusValue | None = None
    contract_type: str | None = Field(None, max_length=100)


class TemplateOut(Schema):
    id: UUID
    name: str
    contract_type: str
    description: str
    version: int
    status: str
    r2_key: str
    merge_fields: list[str]
    mandatory_clauses: list[str]
    business_rules: dict[str, Any]
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime


class TemplatePageOut(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[TemplateOut]
