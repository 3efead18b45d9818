"""Clause library use cases: create, and edit (which writes a new version)."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.audit.services import audit_record, diff
from core.clauses import rules
from core.clauses.models import Clause
from core.errors import Conflict, InvalidInput, NotFound
from core.rbac.access import Principal

ENTITY = "clause"
# Fields whose change makes a new version; is_active is a switch on the clause, not content.
VERSIONED_FIELDS = (
    "name", "category", "content", "tags", "alternatives", "contract_types", "mandatory_rule",
    "conflicts_with",
)


def _snapshot(clause: Clause) -> dict:
    return {f: getattr(clause, f) for f in (*VERSIONED_FIELDS, "is_active", "version")}


def _clean(clause_id: str, data: dict) -> dict:
    data = dict(data)
    if "tags" in data:
        data["tags"] = sorted({t.strip().lower() for t in data["tags"] if t.strip()})
    if "contract_types" in data:
        data["contract_types"] = list(dict.fromkeys(t.strip() for t in data["contract_types"]))
    for text in ("name", "category", "content"):
        if text in data:
            data[text] = data[text].strip()
            if not data[text]:
                raise InvalidInput({text: ["This field may not be blank"]})
    if "category" in data:
        data["category"] = data["category"].lower()
    links = rules.check_links(
        clause_id,
        alternatives=data.get("alternatives", []),
        conflicts_with=data.get("conflicts_with", []),
    )
    for name in ("alternatives", "conflicts_with"):
        if name in data:
            data[name] = links[name]
    return data


@transaction.atomic
def clause_create(*, actor: Principal, data: dict) -> Clause:
    clause_id = rules.check_clause_id(data.pop("clause_id"))
    data = _clean(clause_id, data)
    if Clause.objects.filter(clause_id=clause_id).exists():
        raise Conflict(f"Clause {clause_id} already exists; edit it to make a new version")
    try:
        with transaction.atomic():
            clause = Clause.objects.create(clause_id=clause_id, created_by=actor.user, **data)
    except IntegrityError as exc:
        # A concurrent create of the same id won the race.
        raise Conflict(f"Clause {clause_id} already exists") from exc
    audit_record(actor=actor.user, entity_type=ENTITY, entity_id=clause_id, action="created",
                 changes=diff({}, _snapshot(clause)))
    return clause


@transaction.atomic
def clause_update(*, actor: Principal, clause_id: str, data: dict) -> Clause:
    """Content changes write version n+1 and keep n readable; is_active flips in place."""
    clause_id = rules.normalise_id(clause_id)
    current = (
        Clause.objects.select_for_update().filter(clause_id=clause_id, is_latest=True).first()
    )
    if current is None:
        raise NotFound()
    data = _clean(clause_id, data)
    before = _snapshot(current)
    content = {f: data[f] for f in VERSIONED_FIELDS if f in data and data[f] != before[f]}
    active = data.get("is_active", current.is_active)
    if not content and active == current.is_active:
        return current
    now = timezone.now()
    if content:
        Clause.objects.filter(pk=current.pk).update(is_latest=False, updated_at=now)
        carried = {f: getattr(current, f) for f in VERSIONED_FIELDS}
        clause = Clause.objects.create(
            clause_id=clause_id, version=current.version + 1, is_latest=True,
            is_active=active, created_by=actor.user, created_at=now, updated_at=now,
            **{**carried, **content},
        )
    else:
        current.is_active = active
        current.updated_at = now
        current.save(update_fields=["is_active", "updated_at"])
        clause = current
    audit_record(actor=actor.user, entity_type=ENTITY, entity_id=clause_id, action="updated",
                 changes=diff(before, _snapshot(clause)))
    return clause
