"""Wire schemas of the contracts API."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

StatusValue = Literal["draft", "pending", "approved", "rejected", "executed"]
Currency = Field(None, pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. USD")


class ContractIn(Schema):
    title: str = Field(..., min_length=1, max_length=255)
    contract_type: str = Field(..., min_length=1, max_length=100)
    status: StatusValue | None = None
    value: Decimal = Field(Decimal("0"), ge=0, max_digits=16, decimal_places=2)
    currency: str | None = Currency
    counterparty: str = Field("", max_length=255)
    start_date: date | None = None
    end_date: date | None = None


class ContractUpdateIn(Schema):
    title: str | None = Field(None, min_length=1, max_length=255)
    contract_type: str | None = Field(None, min_length=1, max_length=100)
    status: StatusValue | None = None
    value: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    currency: str | None = Currency
    counterparty: str | None = Field(None, max_length=255)
    start_date: date | None = None
    end_date: date | None = None


class ContractFilter(Schema):
    status: StatusValue | None = None
    search: str | None = Field(None, max_length=200)


class CloneIn(Schema):
    title: str | None = Field(None, min_length=1, max_length=255)


class ContractOut(Schema):
    id: UUID
    title: str
    contract_type: str
    status: str
    value: float
    currency: str
    counterparty: str
    start_date: date | None
    end_date: date | None
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime


class VersionSummaryOut(Schema):
    id: UUID
    version_number: int
    change_summary: str
    r2_key: str
    file_size: int
    file_hash: str
    created_by: UUID | None
    created_at: datetime


class ContractDetailOut(ContractOut):
    template_id: UUID | None
    is_approved: bool
    approved_by: UUID | None
    approved_at: datetime | None
    executed_at: datetime | None
    latest_version: VersionSummaryOut | None = None


class ContractPageOut(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[ContractOut]


class RecentContractOut(ContractOut):
    created_by_name: str


class MonthlyTrendOut(Schema):
    month: str
    period: str
    approved: int
    rejected: int
    created: int


class StatisticsOut(Schema):
    total: int
    draft: int
    pending: int
    approved: int
    rejected: int
    executed: int
    monthly_trends: list[MonthlyTrendOut]
