"""SLA use cases: rule CRUD, the breach scan of one tenant, resolving breaches."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core.audit.services import audit_record, diff
from core.errors import ConflictingInput
from core.sla.models import BreachStatus, BreachType, SLABreach, SLARule
from core.sla.selectors import sla_rule_pk
from core.workflows import selectors as workflow_selectors

ENTITY = "sla_rule"
FIELDS = ("name", "description", "response_time", "resolution_time", "priority_levels",
          "contract_types", "is_active")


def _snapshot(rule: SLARule) -> dict:
    return {field: getattr(rule, field) for field in FIELDS}


def _check(data: dict) -> None:
    response, resolution = data.get("response_time"), data.get("resolution_time")
    if response is not None and resolution is not None and resolution < response:
        raise ConflictingInput(
            {"resolution_time": ["Resolution time must be at least the response time"]}
        )


@transaction.atomic
def sla_rule_create(*, actor, data: dict) -> SLARule:
    _check(data)
    rule = SLARule.objects.create(**data)
    audit_record(actor=actor, entity_type=ENTITY, entity_id=rule.public_id, action="created",
                 changes=diff({}, _snapshot(rule)))
    return rule


@transaction.atomic
def sla_rule_update(*, actor, rule_id: str, data: dict) -> SLARule:
    rule = SLARule.objects.select_for_update().get(pk=sla_rule_pk(rule_id))
    before = _snapshot(rule)
    _check({**before, **data})
    for field, value in data.items():
        setattr(rule, field, value)
    changes = diff(before, _snapshot(rule))
    if changes:
        rule.updated_at = timezone.now()
        rule.save()
        audit_record(actor=actor, entity_type=ENTITY, entity_id=rule.public_id,
                     action="updated", changes=changes)
    return rule


@transaction.atomic
def sla_rule_delete(*, actor, rule_id: str) -> None:
    """Running approvals keep their due dates; their breaches keep no rule (SET_NULL)."""
    rule = SLARule.objects.select_for_update().get(pk=sla_rule_pk(rule_id))
    public_id = rule.public_id
    rule.delete()
    audit_record(actor=actor, entity_type=ENTITY, entity_id=public_id, action="deleted")


def sla_breaches_resolve(*, subject_ids, now: datetime | None = None) -> int:
    """Closes the open breaches of subjects that were just decided; the caller's transaction."""
    return SLABreach.objects.filter(subject_id__in=list(subject_ids),
                                    status=BreachStatus.OPEN).update(
        status=BreachStatus.RESOLVED, resolution_time=now or timezone.now()
    )


@transaction.atomic
def sla_scan(*, now: datetime) -> int:
    """Records a breach for every deadline passed by `now` in the current tenant.

    Idempotent: the (subject, type) unique constraint makes a re-run, or two scans racing,
    insert each breach once. Returns how many rows this scan added.
    """
    candidates = [
        SLABreach(contract_id=a.contract_id, sla_rule_id=a.sla_rule_id, subject_id=a.id,
                  breach_type=BreachType.RESPONSE_TIME, breach_time=a.due_at, created_at=now)
        for a in workflow_selectors.approvals_overdue(now=now)
    ] + [
        SLABreach(contract_id=i.contract_id, sla_rule_id=i.sla_rule_id, subject_id=i.id,
                  breach_type=BreachType.RESOLUTION_TIME, breach_time=i.resolution_due_at,
                  created_at=now)
        for i in workflow_selectors.instances_overdue(now=now)
    ]
    if not candidates:
        return 0
    known = set(
        SLABreach.objects.filter(subject_id__in=[c.subject_id for c in candidates])
        .values_list("subject_id", "breach_type")
    )
    new = [c for c in candidates if (c.subject_id, c.breach_type) not in known]
    SLABreach.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)
