"""Wire schemas of the webhooks API."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

from api.schemas.types import Input, StrictBool
from core.events.models import EVENT_TYPES

EventType = Literal[EVENT_TYPES]
_H = "[0-9a-fA-F]{1,4}"
# The IPv6 text forms urlsplit accepts in brackets (without embedded IPv4 or zone).
_IPV6 = (f"({_H}:){{7}}{_H}|({_H}:){{1,7}}:|({_H}:){{1,6}}:{_H}|({_H}:){{1,5}}(:{_H}){{1,2}}"
         f"|({_H}:){{1,4}}(:{_H}){{1,3}}|({_H}:){{1,3}}(:{_H}){{1,4}}|({_H}:){{1,2}}(:{_H}){{1,5}}"
         f"|{_H}:(:{_H}){{1,6}}|:((:{_H}){{1,7}}|:)")
# http(s), a host (name, IPv4 or [IPv6]), an optional port, no credentials (core.webhooks.guard).
URL_PATTERN = (rf"^https?://([A-Za-z0-9._~-]+|\[({_IPV6})\])"
               r"(:([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?"
               r"([/?#][^\s]*)?$")
URL = Field(..., min_length=1, max_length=2000, pattern=URL_PATTERN)


class EndpointIn(Input):
    url: str = URL
    events: list[EventType] = Field(..., min_length=1, max_length=20)
    description: str = Field("", max_length=255)


class EndpointUpdateIn(Input):
    # An absent field is left unchanged; null is refused unless the type says `| None`.
    url: str = Field(None, min_length=1, max_length=2000, pattern=URL_PATTERN)
    events: list[EventType] = Field(None, min_length=1, max_length=20)
    description: str = Field(None, max_length=255)
    is_active: StrictBool = None


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
