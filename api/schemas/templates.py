"""Wire schemas of the contract templates API."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from ninja import Schema
from pydantic import ConfigDict, Field

from api.schemas.clauses import ClauseId
from api.schemas.types import Input, Number, integer

TemplateStatusValue = Literal["draft", "published", "archived"]
MergeField = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
TEMPLATE_KEY = r"^(templates/[A-Za-z0-9][A-Za-z0-9._/-]{0,480})?$"


class BusinessRules(Input):
    """Rules a generated contract must satisfy; unknown rules are refused."""

    model_config = ConfigDict(extra="forbid")

    min_value: Number | None = None
    max_value: Number | None = None
    allowed_currencies: list[Currency] | None = Field(None, max_length=50)
    max_term_months: integer(ge=1, le=1200) | None = None
    required_fields: list[MergeField] | None = Field(None, max_length=200)


class TemplateIn(Input):
    name: str = Field(..., min_length=1, max_length=255)
    contract_type: str = Field(..., min_length=1, max_length=100)
    description: str = Field("", max_length=5000)
    r2_key: str = Field("", max_length=500, pattern=TEMPLATE_KEY)
    merge_fields: list[MergeField] = Field(default_factory=list, max_length=200)
    mandatory_clauses: list[ClauseId] = Field(default_factory=list, max_length=200)
    business_rules: BusinessRules = Field(default_factory=BusinessRules)
    status: TemplateStatusValue = "draft"


class TemplateUpdateIn(Input):
    # An absent field is left unchanged; null is refused unless the type says `| None`.
    name: str = Field(None, min_length=1, max_length=255)
    contract_type: str = Field(None, min_length=1, max_length=100)
    description: str = Field(None, max_length=5000)
    r2_key: str = Field(None, max_length=500, pattern=TEMPLATE_KEY)
    merge_fields: list[MergeField] = Field(None, max_length=200)
    mandatory_clauses: list[ClauseId] = Field(None, max_length=200)
    business_rules: BusinessRules = None
    status: TemplateStatusValue = None


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
    business_rules: dict
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime


class TemplatePageOut(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[TemplateOut]
