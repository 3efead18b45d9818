"""Wire schemas of SLA rules and breaches (the reference's admin envelopes)."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field, StringConstraints

from api.schemas.types import Input, StrictBool, integer

Hours = integer(ge=1, le=24 * 365, description="hours")
ContractType = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Priority = Annotated[str, StringConstraints(min_length=1, max_length=50)]


class SLARuleIn(Input):
    name: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    response_time: Hours
    resolution_time: Hours
    priority_levels: list[Priority] | None = Field(None, max_length=20)
    contract_types: list[ContractType] = Field(default_factory=list, max_length=50)
    is_active: StrictBool = True


class SLARuleUpdateIn(Input):
    name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    response_time: Hours | None = None
    resolution_time: Hours | None = None
    priority_levels: list[Priority] | None = Field(None, max_length=20)
    contract_types: list[ContractType] | None = Field(None, max_length=50)
    is_active: StrictBool | None = None


class SLARuleOut(Schema):
    id: str
    name: str
    description: str
    tenant_id: UUID
    response_time: int
    resolution_time: int
    priority_levels: list[str]
    contract_types: list[str]
    is_active: bool
    created_at: datetime
    updated_at: datetime


class SLARuleListOut(Schema):
    sla_rules: list[SLARuleOut]


class SLABreachFilter(Schema):
    status: Literal["open", "resolved"] | None = None
    breach_type: Literal["response_time", "resolution_time"] | None = None
    contract_id: UUID | None = None
    limit: int = Field(20, ge=1, le=100)
    offset: int = Field(0, ge=0)


class SLABreachOut(Schema):
    id: UUID
    contract_id: UUID
    sla_rule_id: str | None
    subject_id: UUID
    breach_type: str
    breach_time: datetime
    resolution_time: datetime | None
    status: str
    created_at: datetime


class SLABreachListOut(Schema):
    sla_breaches: list[SLABreachOut]
    total: int
