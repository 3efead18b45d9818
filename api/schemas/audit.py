"""Wire schemas of the audit-log API."""

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from ninja import Schema
from pydantic import Field, WithJsonSchema, field_validator

from api.schemas.types import parse_iso_date, parse_iso_datetime

DateOrDateTime = WithJsonSchema({"anyOf": [{"type": "string", "format": "date"},
                                           {"type": "string", "format": "date-time"}]})


class AuditFilter(Schema):
    action: str | None = Field(None, max_length=30)
    entity_type: str | None = Field(None, max_length=50)
    entity_id: str | None = Field(None, max_length=64)
    performed_by: UUID | None = None
    start_date: Annotated[date | datetime, DateOrDateTime] | None = Field(
        None, description="ISO date or RFC 3339 date-time")
    end_date: Annotated[date | datetime, DateOrDateTime] | None = Field(
        None, description="ISO date (whole day) or RFC 3339 date-time")

    @field_validator("start_date", "end_date", mode="before")
    @classmethod
    def _iso(cls, value):
        # One clear message instead of pydantic's one-per-union-member; an empty value is
        # neither format, so it is refused rather than read as "no filter".
        try:
            return parse_iso_date(value) if len(value) == 10 else parse_iso_datetime(value)
        except (TypeError, ValueError) as exc:
            raise ValueError("Enter an ISO date (2026-01-12) or date-time") from exc


class AuditLogOut(Schema):
    id: UUID
    entity_type: str
    entity_id: str
    action: str
    performed_by: UUID | None
    performer_email: str
    changes: dict
    metadata: dict
    created_at: datetime


class AuditPageOut(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[AuditLogOut]


class UserCountOut(Schema):
    user_id: UUID
    email: str
    action_count: int


class DayCountOut(Schema):
    date: date
    action_count: int


class AuditStatsOut(Schema):
    total_actions: int
    actions_by_type: dict[str, int]
    actions_by_entity: dict[str, int]
    actions_by_user: list[UserCountOut]
    daily_trends: list[DayCountOut]


class AuditVerifyOut(Schema):
    valid: bool
    checked: int
    first_bad_id: UUID | None


class HistoryEntryOut(Schema):
    id: UUID
    entity_type: str
    entity_id: str
    action: str
    performed_by: UUID | None
    performer_email: str
    changes: dict
    created_at: datetime


class HistoryOut(Schema):
    history: list[HistoryEntryOut]
