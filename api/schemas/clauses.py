"""Wire schemas of the clause library API and of clause validation."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from ninja import Schema
from pydantic import Field

from api.schemas.types import Input, Money, Number, QueryBool, StrictBool

# Clause ids as core.clauses.rules accepts them (any case; stored upper-case).
CLAUSE_ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{0,19}-[A-Za-z0-9_-]{1,29}$"
ClauseId = Annotated[str, Field(pattern=CLAUSE_ID_PATTERN)]
# A reference may pin a version: "CONF-001@2".
ClauseRef = Annotated[str, Field(pattern=CLAUSE_ID_PATTERN[:-1] + r"(@[1-9][0-9]{0,5})?$")]
ClauseIdList = list[ClauseId]
# The service strips text fields and refuses what is left blank.
NOT_BLANK = r"\S"


class MandatoryRuleIn(Input):
    contract_types: list[str] = Field(default_factory=list, max_length=50)
    min_value: Number | None = None
    message: str = Field("", max_length=300)


class ClauseIn(Input):
    clause_id: str = Field(..., min_length=1, max_length=50, pattern=CLAUSE_ID_PATTERN)
    name: str = Field(..., min_length=1, max_length=255, pattern=NOT_BLANK)
    category: str = Field(..., min_length=1, max_length=100, pattern=NOT_BLANK)
    content: str = Field(..., min_length=1, max_length=50_000, pattern=NOT_BLANK)
    tags: list[str] = Field(default_factory=list, max_length=20)
    alternatives: ClauseIdList = Field(default_factory=list, max_length=50)
    contract_types: list[str] = Field(default_factory=list, max_length=50)
    mandatory_rule: MandatoryRuleIn | None = None
    conflicts_with: ClauseIdList = Field(default_factory=list, max_length=50)
    is_active: StrictBool = True


class ClauseUpdateIn(Input):
    name: str | None = Field(None, min_length=1, max_length=255, pattern=NOT_BLANK)
    category: str | None = Field(None, min_length=1, max_length=100, pattern=NOT_BLANK)
    content: str | None = Field(None, min_length=1, max_length=50_000, pattern=NOT_BLANK)
    tags: list[str] | None = Field(None, max_length=20)
    alternatives: ClauseIdList | None = Field(None, max_length=50)
    contract_types: list[str] | None = Field(None, max_length=50)
    mandatory_rule: MandatoryRuleIn | None = None
    conflicts_with: ClauseIdList | None = Field(None, max_length=50)
    is_active: StrictBool | None = None


class ClauseFilter(Schema):
    search: str | None = Field(None, max_length=200)
    category: str | None = Field(None, max_length=100)
    tag: str | None = Field(None, max_length=40)
    contract_type: str | None = Field(None, max_length=100)
    is_active: QueryBool | None = None


class MandatoryRuleOut(Schema):
    contract_types: list[str]
    min_value: float | None
    message: str


class ClauseOut(Schema):
    id: UUID
    clause_id: str
    version: int
    is_latest: bool
    name: str
    category: str
    content: str
    tags: list[str]
    alternatives: list[str]
    contract_types: list[str]
    mandatory_rule: MandatoryRuleOut | None
    conflicts_with: list[str]
    is_active: bool
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime


class ClausePageOut(Schema):
    count: int
    next: str | None
    previous: str | None
    results: list[ClauseOut]


class ValidateClausesIn(Input):
    contract_type: str = Field(..., min_length=1, max_length=100)
    contract_value: Money = Field(0, validate_default=True)
    selected_clauses: list[ClauseRef] = Field(default_factory=list, max_length=200)
    template_id: UUID | None = None


class MandatoryClauseOut(Schema):
    clause_id: str
    name: str
    message: str


class ErrorOut(Schema):
    error: str
    detail: str


class ValidateClausesOut(Schema):
    is_valid: bool
    errors: list[str]
    warnings: list[str]
    mandatory_clauses: list[MandatoryClauseOut]
