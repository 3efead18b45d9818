"""Clause library API: list, create, latest version, edit (new version), version history."""

from ninja import Query, Router, Status

from api.pagination import ordering, page_params, paginate
from api.schemas.clauses import (
    ClauseFilter,
    ClauseIn,
    ClauseOut,
    ClausePageOut,
    ClauseUpdateIn,
)
from api.security import require
from core.clauses import selectors, services
from core.rbac.permissions import Perm

router = Router(tags=["Clauses"])
ClausePageParams = page_params("ClausePageParams", selectors.SORTABLE)


def clause_out(c) -> dict:
    rule = c.mandatory_rule
    return {
        "id": c.id,
        "clause_id": c.clause_id,
        "version": c.version,
        "is_latest": c.is_latest,
        "name": c.name,
        "category": c.category,
        "content": c.content,
        "tags": c.tags,
        "alternatives": c.alternatives,
        "contract_types": c.contract_types,
        "mandatory_rule": {
            "contract_types": rule.get("contract_types", []),
            "min_value": rule.get("min_value"),
            "message": rule.get("message", ""),
        } if rule else None,
        "conflicts_with": c.conflicts_with,
        "is_active": c.is_active,
        "created_by": c.created_by_id,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }


@router.get("/", response=ClausePageOut, auth=require(Perm.VIEW_TEMPLATES))
def list_clauses(request, filters: Query[ClauseFilter], page: Query[ClausePageParams]):
    order = ordering(page.sort, allowed=selectors.SORTABLE, default=("clause_id",))
    qs = selectors.clause_list(**filters.model_dump(), ordering=order)
    return paginate(request, qs, page, clause_out)


@router.post("/", response={201: ClauseOut}, auth=require(Perm.MANAGE_CLAUSES))
def create_clause(request, data: ClauseIn):
    clause = services.clause_create(actor=request.auth, data=data.model_dump())
    return Status(201, clause_out(clause))


@router.get("/{clause_id}/", response=ClauseOut, auth=require(Perm.VIEW_TEMPLATES))
def get_clause(request, clause_id: str):
    return clause_out(selectors.clause_get(clause_id=clause_id))


@router.put("/{clause_id}/", response=ClauseOut, auth=require(Perm.MANAGE_CLAUSES))
def update_clause(request, clause_id: str, data: ClauseUpdateIn):
    clause = selectors.clause_get(clause_id=clause_id)
    clause = services.clause_update(
        actor=request.auth, clause_id=clause.clause_id, data=data.model_dump(exclude_unset=True)
    )
    return clause_out(clause)


@router.get("/{clause_id}/versions/", response=list[ClauseOut],
            auth=require(Perm.VIEW_TEMPLATES))
def clause_versions(request, clause_id: str):
    return [clause_out(c) for c in selectors.clause_versions(clause_id=clause_id)]


@router.get("/{clause_id}/versions/{int:version}/", response=ClauseOut,
            auth=require(Perm.VIEW_TEMPLATES))
def clause_version(request, clause_id: str, version: int):
    return clause_out(selectors.clause_get(clause_id=clause_id, version=version))
