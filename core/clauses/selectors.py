"""Reads of the clause library: latest versions, history, and the rows a clause check needs."""

from decimal import Decimal

from django.db.models import Q

from core.clauses import rules
from core.clauses.models import Clause
from core.errors import NotFound
from core.lookups import contains_pattern

SORTABLE = {
    "clause_id": "clause_id",
    "name": "name",
    "category": "category",
    "updated_at": "updated_at",
    "created_at": "created_at",
}


def clause_get(*, clause_id: str, version: int | None = None) -> Clause:
    """The latest (or a given) version of a clause, or NotFound."""
    qs = Clause.objects.filter(clause_id=rules.normalise_id(clause_id))
    qs = qs.filter(version=version) if version is not None else qs.filter(is_latest=True)
    clause = qs.first()
    if clause is None:
        raise NotFound()
    return clause


def clause_list(
    *, search: str | None = None, category: str | None = None, tag: str | None = None,
    contract_type: str | None = None, is_active: bool | None = None, ordering=(),
):
    qs = Clause.objects.filter(is_latest=True)
    if category:
        qs = qs.filter(category__iexact=category)
    if tag:
        qs = qs.filter(tags__contains=[tag.lower()])
    if contract_type:
        qs = qs.filter(Q(contract_types=[]) | Q(contract_types__contains=[contract_type]))
    if is_active is not None:
        qs = qs.filter(is_active=is_active)
    if search:
        pattern = contains_pattern(search)
        qs = qs.filter(Q(clause_id__ilike=pattern) | Q(name__ilike=pattern)
                       | Q(category__ilike=pattern))
    return qs.order_by(*(ordering or ("clause_id",)))


def clause_versions(*, clause_id: str):
    clause_get(clause_id=clause_id)
    return Clause.objects.filter(clause_id=rules.normalise_id(clause_id)).order_by("-version")


def clause_latest_by_id(*, clause_ids) -> dict[str, Clause]:
    return {c.clause_id: c for c in Clause.objects.filter(is_latest=True, clause_id__in=clause_ids)}


def clause_active_latest() -> list[Clause]:
    return list(Clause.objects.filter(is_latest=True, is_active=True).order_by("clause_id"))


def clause_set_evaluate(
    *, refs: list[tuple[str, int | None]], contract_type: str, value: Decimal,
    template_mandatory: list[str] = (), template_name: str | None = None,
) -> rules.Evaluation:
    """Checks a clause set against the library in three queries, whatever its size."""
    ids = {clause_id for clause_id, _ in refs} | set(template_mandatory)
    latest = clause_latest_by_id(clause_ids=ids)
    pins = [(cid, v) for cid, v in refs if v is not None]
    pinned = {}
    if pins:
        match = Q()
        for cid, v in pins:
            match |= Q(clause_id=cid, version=v)
        pinned = {(c.clause_id, c.version): c for c in Clause.objects.filter(match)}
    rule_clauses = list(
        Clause.objects.filter(is_latest=True, is_active=True, mandatory_rule__isnull=False)
    )
    return rules.evaluate(
        refs=refs, contract_type=contract_type, value=value, latest=latest, pinned=pinned,
        rule_clauses=rule_clauses, template_mandatory=list(template_mandatory),
        template_name=template_name,
    )
