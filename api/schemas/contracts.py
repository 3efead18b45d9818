"""Wire schemas of the contracts API."""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

from api.schemas.types import Input, IsoDate, Money

StatusValue = Literal["draft", "pending", "approved", "rejected", "executed"]
Currency = Field(None, pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. USD")


class ContractIn(Input):
    title: str = Field(..., min_length=1, max_length=255)
    contract_type: str = Field(..., min_length=1, max_length=100)
    # New contracts start as drafts; the field is accepted for clients that send it.
    status: Literal["draft"] | None = None
    value: Money = Field(0, validate_default=True)
    currency: str | None = Currency
    counterparty: str = Field("", max_length=255)
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None


class ContractUpdateIn(Input):
    # An absent field is left unchanged; null is refused unless the type says `| None`.
    title: str = Field(None, min_length=1, max_length=255)
    contract_type: str = Field(None, min_length=1, max_length=100)
    status: StatusValue | None = None
    value: Money = None
    currency: str = Currency
    counterparty: str = Field(None, max_length=255)
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None


class ContractFilter(Schema):
    status: StatusValue | None = None
    search: str | None = Field(None, max_length=200)


class CloneIn(Input):
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
