"""Wire schemas of generation, contract versions, comparisons and download URLs."""

from datetime import datetime
from typing import Any
from uuid import UUID

from ninja import Schema
from pydantic import Field

from api.schemas.clauses import ClauseRef, MandatoryClauseOut
from api.schemas.contracts import ContractDetailOut
from api.schemas.types import Input


class GenerateIn(Input):
    template_id: UUID
    title: str = Field(..., min_length=1, max_length=255)
    structured_inputs: dict[str, Any] = Field(default_factory=dict, max_length=200)
    user_instructions: str = Field("", max_length=2000)
    selected_clauses: list[ClauseRef] = Field(default_factory=list, max_length=200)


class CreateVersionIn(Input):
    selected_clauses: list[ClauseRef] = Field(..., max_length=200)
    change_summary: str = Field("", max_length=500)
    structured_inputs: dict[str, Any] = Field(default_factory=dict, max_length=200)
    user_instructions: str = Field("", max_length=2000)


class VersionOut(Schema):
    id: UUID
    contract: UUID
    version_number: int
    r2_key: str
    template_id: UUID | None
    template_version: int | None
    change_summary: str
    file_size: int
    file_hash: str
    content_type: str
    source: str
    created_by: UUID | None
    created_at: datetime


class SuggestionOut(Schema):
    clause_id: str
    version: int
    name: str
    tags: list[str]
    reason: str


class GenerateOut(Schema):
    contract: ContractDetailOut
    version: VersionOut
    mandatory_clauses: list[MandatoryClauseOut]
    clause_suggestions: dict[str, list[SuggestionOut]]
    validation_errors: list[str]


class ProvenanceOut(Schema):
    source: str
    template_id: UUID | None
    template_version: int | None
    added_at: datetime
    added_by: UUID | None


class VersionClauseOut(Schema):
    clause_id: str
    clause_version: int
    name: str
    content: str
    is_mandatory: bool
    position: int
    alternatives_suggested: list[SuggestionOut]
    provenance: ProvenanceOut


class VersionClausesOut(Schema):
    contract_id: UUID
    version_number: int
    clauses: list[VersionClauseOut]


class ClauseBriefOut(Schema):
    clause_id: str
    clause_version: int
    name: str
    position: int


class ClauseChangeOut(Schema):
    clause_id: str
    name: str
    from_version: int
    to_version: int
    content_diff: list[str]


class ClauseDiffOut(Schema):
    added: list[ClauseBriefOut]
    removed: list[ClauseBriefOut]
    changed: list[ClauseChangeOut]


class CompareFilter(Schema):
    from_version: int = Field(..., alias="from", ge=1)
    to_version: int = Field(..., alias="to", ge=1)


class CompareOut(Schema):
    contract_id: UUID
    from_version: int
    to_version: int
    clauses: ClauseDiffOut
    text_diff: list[str]
    text_diff_truncated: bool
    lines_added: int
    lines_removed: int


class DownloadUrlOut(Schema):
    contract_id: UUID
    version_number: int
    r2_key: str
    download_url: str
    expires_at: datetime
