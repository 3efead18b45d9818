"""Wire schemas of workflows, workflow instances, approvals and the contract actions."""

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field, StringConstraints

from api.schemas.types import Input, Money, StrictBool, integer

WorkflowStatusValue = Literal["active", "archived"]
ASSIGNEE = (r"^(role:[a-z0-9_-]{1,50}|user:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}"
            r"-[0-9a-f]{12})$")
Assignees = Field(..., min_length=1, max_length=20, description='"role:<id>" or "user:<uuid>"',
                  json_schema_extra={"uniqueItems": True})
ContractType = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class StepIn(Input):
    step_number: integer(ge=1, le=50)
    name: str = Field(..., min_length=1, max_length=200)
    assigned_to: list[Annotated[str, StringConstraints(pattern=ASSIGNEE)]] = Assignees
    required_approval: StrictBool = True
    due_in_hours: integer(ge=1, le=24 * 365) | None = None


class StepOut(Schema):
    step_number: int
    name: str
    assigned_to: list[str]
    required_approval: bool
    due_in_hours: int | None = None


class WorkflowIn(Input):
    name: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    status: WorkflowStatusValue = "active"
    steps: list[StepIn] = Field(..., min_length=1, max_length=50)
    contract_types: list[ContractType] = Field(default_factory=list, max_length=50)
    min_value: Money | None = None
    max_value: Money | None = None


class WorkflowUpdateIn(Input):
    # An absent field is left unchanged; null is refused unless the type says `| None`.
    name: str = Field(None, min_length=1, max_length=200)
    description: str = Field(None, max_length=5000)
    status: WorkflowStatusValue = None
    steps: list[StepIn] = Field(None, min_length=1, max_length=50)
    contract_types: list[ContractType] = Field(None, max_length=50)
    min_value: Money | None = None
    max_value: Money | None = None


class WorkflowFilter(Schema):
    status: WorkflowStatusValue | None = None


class WorkflowOut(Schema):
    id: UUID
    name: str
    description: str
    status: str
    steps: list[StepOut]
    contract_types: list[str]
    min_value: float | None
    max_value: float | None
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime


class WorkflowPageOut(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[WorkflowOut]


class InstanceFilter(Schema):
    status: Literal["in_progress", "approved", "rejected", "cancelled"] | None = None
    limit: int = Field(100, ge=1, le=100)
    offset: int = Field(0, ge=0)


class InstanceOut(Schema):
    id: UUID
    workflow: UUID | None
    contract_id: UUID
    status: str
    current_step: int
    steps_completed: int
    total_steps: int
    resolution_due_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ApprovalFilter(Schema):
    status: Literal["pending", "approved", "rejected", "cancelled"] | None = None
    assigned_to: UUID | None = None


class ApprovalOut(Schema):
    id: UUID
    contract_id: UUID
    contract_title: str
    workflow_instance_id: UUID
    step_number: int
    step_name: str
    status: str
    assigned_to: UUID | None
    assigned_role: str | None
    assigned_by: UUID | None
    due_date: date | None
    due_at: datetime | None
    comments: str | None
    decided_by: UUID | None
    decided_at: datetime | None
    approved_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ApprovalPageOut(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[ApprovalOut]


class ApprovalDecisionIn(Input):
    status: Literal["approved", "rejected"]
    comments: str | None = Field(None, max_length=5000)


class SubmitIn(Input):
    workflow_id: UUID | None = None


class ApproveIn(Input):
    reviewed: StrictBool | None = None
    comments: str | None = Field(None, max_length=5000)


class RejectIn(Input):
    comments: str | None = Field(None, max_length=5000)
