"""Wire schemas of the webhooks API."""

from datetime import datetime
from uuid import UUID

from ninja import Schema
from pydantic import Field


class EndpointIn(Schema):
    url: str = Field(..., min_length=1, max_length=2000)
    events: list[str] = Field(..., max_length=20)
    description: str = Field("", max_length=255)


class EndpointUpdateIn(Schema):
    url: str | None = Field(None, min_length=1, max_length=2000)
    events: list[str] | None = Field(None, max_length=20)
    description: str | None = Field(None, max_length=255)
    is_active: bool | None = None


class EndpointOut(Schema):
    id: UUID
    url: str
    description: str
    events: list[str]
    is_active: bool
    disabled_reason: str
    created_at: datetime
    updated_at: datetime


class EndpointSecretOut(EndpointOut):
    secret: str = Field(..., description="Shown only in this response; store it now")


class EndpointPageOut(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[EndpointOut]


class AttemptOut(Schema):
    attempted_at: datetime
    status_code: int | None
    duration_ms: float
    response_excerpt: str
    error: str
    success: bool


class DeliveryOut(Schema):
    id: UUID
    event_id: UUID | None
    event_type: str
    message_id: str
    status: str
    attempt_count: int
    max_attempts: int
    last_status_code: int | None
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    attempts: list[AttemptOut]


class DeliveryPageOut(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[DeliveryOut]


class DeliveryFilter(Schema):
    status: str | None = Field(None, pattern="^(pending|succeeded|failed)$")
