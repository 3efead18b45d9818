"""Workflow use cases: definitions, submitting and withdrawing contracts, deciding approvals.

Locks are always taken in the same order (contract, then instance, then approval) so that
concurrent decisions on one contract queue up instead of deadlocking, and a step is
advanced exactly once.
"""

from datetime import datetime, timedelta
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from core.audit.services import audit_record, diff, jsonable
from core.contracts.models import LIVE as CONTRACT_LIVE
from core.contracts.models import Contract, ContractStatus
from core.contracts.payloads import contract_payload
from core.errors import Conflict, ConflictingInput, InvalidInput, NotFound, PermissionDenied
from core.events.services import event_emit
from core.model_update import model_update
from core.rbac.access import Principal
from core.rbac.models import Role
from core.rbac.permissions import Perm
from core.sla import selectors as sla_selectors
from core.sla import services as sla_services
from core.workflows import selectors
from core.workflows.models import (
    LIVE,
    Approval,
    ApprovalStatus,
    InstanceStatus,
    Workflow,
    WorkflowInstance,
    WorkflowStatus,
)
from core.workflows.payloads import approval_payload
from tenants.models import User

WORKFLOW_FIELDS = ("name", "description", "status", "steps", "contract_types", "min_value",
                   "max_value")


# Definitions ---------------------------------------------------------------------------------


def _check_steps(*, actor: Principal, steps: list[dict]) -> list[dict]:
    """Steps numbered 1..n whose assignees exist in the tenant; returned in order.

    A malformed or repeated assignee breaks the schema (400); numbering, the one required
    approval and unknown assignees are rules across steps and stored rows (409).
    """
    errors: list[str] = []
    conflicts: list[str] = []
    numbers = sorted(step["step_number"] for step in steps)
    if numbers != list(range(1, len(steps) + 1)):
        conflicts.append("Steps must be numbered 1..n, each number once")
    if steps and not any(step.get("required_approval", True) for step in steps):
        conflicts.append("At least one step must require approval")
    role_ids: dict[str, int] = {}
    user_ids: dict[UUID, int] = {}
    for step in steps:
        number = step["step_number"]
        entries = step["assigned_to"]
        if len(set(entries)) != len(entries):
            errors.append(f"Step {number}: assigned_to lists an entry twice")
        for entry in entries:
            kind, _, ref = entry.partition(":")
            if kind == "role" and ref:
                role_ids[ref] = number
                continue
            if kind == "user":
                try:
                    user_ids[UUID(ref)] = number
                    continue
                except ValueError:
                    pass
            errors.append(f"Step {number}: '{entry}' is not 'role:<id>' or 'user:<uuid>'")
    if errors:
        raise InvalidInput({"steps": errors})
    known_roles = set(Role.objects.filter(pk__in=role_ids).values_list("pk", flat=True))
    conflicts += [f"Step {n}: unknown role '{r}'" for r, n in role_ids.items()
                  if r not in known_roles]
    known_users = set(
        User.objects.filter(pk__in=user_ids, tenant_id=actor.tenant.pk, is_active=True)
        .values_list("pk", flat=True)
    )
    conflicts += [f"Step {n}: unknown user '{u}'" for u, n in user_ids.items()
                  if u not in known_users]
    if conflicts:
        raise ConflictingInput({"steps": conflicts})
    return [
        {
            "step_number": step["step_number"],
            "name": step["name"],
            "assigned_to": list(step["assigned_to"]),
            "required_approval": step.get("required_approval", True),
            "due_in_hours": step.get("due_in_hours"),
        }
        for step in sorted(steps, key=lambda s: s["step_number"])
    ]


def _check_range(min_value, max_value) -> None:
    if min_value is not None and max_value is not None and min_value > max_value:
        raise ConflictingInput({"max_value": ["max_value must be at least min_value"]})


def _snapshot(workflow: Workflow) -> dict:
    return {field: jsonable(getattr(workflow, field)) for field in WORKFLOW_FIELDS}


@transaction.atomic
def workflow_create(*, actor: Principal, data: dict) -> Workflow:
    data["steps"] = _check_steps(actor=actor, steps=data["steps"])
    _check_range(data.get("min_value"), data.get("max_value"))
    workflow = Workflow.objects.create(created_by=actor.user, **data)
    audit_record(actor=actor.user, entity_type="workflow", entity_id=workflow.pk,
                 action="created", changes=diff({}, _snapshot(workflow)))
    return workflow


def _locked_workflow(workflow_id) -> Workflow:
    workflow = Workflow.objects.select_for_update().filter(LIVE, pk=workflow_id).first()
    if workflow is None:
        raise NotFound()
    return workflow


@transaction.atomic
def workflow_update(*, actor: Principal, workflow_id, data: dict) -> Workflow:
    """Running instances keep the steps they were started with."""
    workflow = _locked_workflow(workflow_id)
    nulls = [k for k, v in data.items() if v is None and k not in ("min_value", "max_value")]
    if nulls:
        raise InvalidInput({k: ["This field may not be null"] for k in nulls})
    if "steps" in data:
        data["steps"] = _check_steps(actor=actor, steps=data["steps"])
    _check_range(data.get("min_value", workflow.min_value),
                 data.get("max_value", workflow.max_value))
    changes = model_update(workflow, data)
    if changes:
        audit_record(actor=actor.user, entity_type="workflow", entity_id=workflow.pk,
                     action="updated", changes=changes)
    return workflow


@transaction.atomic
def workflow_delete(*, actor: Principal, workflow_id) -> None:
    """Soft: the definition stops matching and starting; running instances finish."""
    workflow = _locked_workflow(workflow_id)
    workflow.deleted_at = timezone.now()
    workflow.save(update_fields=["deleted_at"])
    audit_record(actor=actor.user, entity_type="workflow", entity_id=workflow.pk,
                 action="deleted")


# Submission and withdrawal -------------------------------------------------------------------


def _locked_contract(contract_id) -> Contract:
    contract = Contract.objects.select_for_update().filter(CONTRACT_LIVE, pk=contract_id).first()
    if contract is None:
        raise NotFound()
    return contract


def _workflow_for(contract: Contract, workflow_id) -> Workflow | None:
    if workflow_id is None:
        return selectors.workflow_match(contract=contract)
    workflow = Workflow.objects.filter(LIVE, pk=workflow_id).first()
    if workflow is None:
        raise InvalidInput({"workflow_id": ["Unknown workflow"]})
    if workflow.status != WorkflowStatus.ACTIVE:
        raise InvalidInput({"workflow_id": ["An archived workflow cannot be started"]})
    return workflow


def contract_status_changed(*, actor: Principal, contract: Contract, previous: str) -> None:
    """Called by contract_update inside its transaction, with the contract locked, after a
    PUT moved the status: submitting starts a workflow, withdrawing cancels it."""
    if (previous, contract.status) == (ContractStatus.DRAFT, ContractStatus.PENDING):
        _instance_start(actor=actor, contract=contract, workflow=_workflow_for(contract, None))
    elif (previous, contract.status) == (ContractStatus.PENDING, ContractStatus.DRAFT):
        _instance_cancel(actor=actor, contract=contract)


@transaction.atomic
def contract_submit(*, actor: Principal, contract_id, workflow_id=None) -> Contract:
    """draft -> pending, starting the named workflow or the one that matches."""
    contract = _locked_contract(contract_id)
    actor.require_on_contract(Perm.EDIT_CONTRACTS, contract)
    if contract.status != ContractStatus.DRAFT:
        raise Conflict(f"Only draft contracts can be submitted (this one is '{contract.status}')")
    workflow = _workflow_for(contract, workflow_id)
    changes = model_update(contract, {"status": ContractStatus.PENDING})
    audit_record(actor=actor.user, entity_type="contract", entity_id=contract.pk,
                 action="updated", changes=changes)
    event_emit(type="contract.updated", data={**contract_payload(contract), "changes": changes})
    _instance_start(actor=actor, contract=contract, workflow=workflow)
    return contract


def _hours(hours: int | None, since: datetime) -> datetime | None:
    return since + timedelta(hours=hours) if hours else None


def _instance_start(*, actor: Principal, contract: Contract, workflow: Workflow | None):
    """Without a workflow the instance only records the submission (for the resolution SLA)
    and waits for a direct approval by a holder of approve_contracts."""
    now = timezone.now()
    rule = sla_selectors.sla_rule_for_contract(contract_type=contract.contract_type)
    steps = list(workflow.steps) if workflow else []
    instance = WorkflowInstance.objects.create(
        workflow=workflow, contract=contract, steps=steps, total_steps=len(steps),
        started_by=actor.user, sla_rule=rule,
        resolution_due_at=_hours(rule.resolution_time if rule else None, now),
        created_at=now, updated_at=now,
    )
    changes = model_update(contract, {"workflow_instance_id": instance.pk})
    changes["workflow"] = {"old": None, "new": jsonable(workflow.pk) if workflow else None}
    audit_record(actor=actor.user, entity_type="contract", entity_id=contract.pk,
                 action="updated", changes=changes)
    if workflow is not None:
        _advance(actor=actor, instance=instance, contract=contract, now=now)
    return instance


def _instance_cancel(*, actor: Principal, contract: Contract) -> None:
    instance = selectors.instance_running(contract_id=contract.pk, lock=True)
    if instance is None:
        return
    now = timezone.now()
    closed = _close_pending(actor=actor, instance=instance, now=now)
    _finish(instance=instance, status=InstanceStatus.CANCELLED, now=now, also=closed)


# Steps and decisions -------------------------------------------------------------------------


def _create_approvals(*, actor: Principal, instance, contract, step: dict, now) -> None:
    rule = instance.sla_rule
    due_at = _hours(step.get("due_in_hours"), now) or _hours(
        rule.response_time if rule else None, now
    )
    for entry in step["assigned_to"]:
        kind, _, ref = entry.partition(":")
        approval = Approval.objects.create(
            instance=instance, contract=contract, step_number=step["step_number"],
            step_name=step["name"],
            assigned_user_id=ref if kind == "user" else None,
            assigned_role=ref if kind == "role" else "",
            assigned_by=actor.user, due_at=due_at, sla_rule=rule,
            created_at=now, updated_at=now,
        )
        payload = approval_payload(approval)
        audit_record(actor=actor.user, entity_type="approval", entity_id=approval.pk,
                     action="created", changes=diff({}, {
                         "contract_id": contract.pk, "step_number": approval.step_number,
                         "assigned_to": entry, "due_at": due_at,
                     }))
        event_emit(type="approval.created", data=payload)


def _step_completed(instance, step: dict) -> None:
    instance.steps_completed += 1
    event_emit(type="workflow.instance.step_completed", data={
        "instance_id": instance.pk,
        "workflow_id": instance.workflow_id,
        "contract_id": instance.contract_id,
        "step_number": step["step_number"],
        "step_name": step["name"],
        "steps_completed": instance.steps_completed,
        "total_steps": instance.total_steps,
    })


def _advance(*, actor: Principal, instance, contract, now) -> None:
    """Activates the next step that needs approval (steps without one complete on arrival);
    past the last step the contract is approved by whoever decided last."""
    while instance.current_step < instance.total_steps:
        instance.current_step += 1
        step = instance.steps[instance.current_step - 1]
        if step.get("required_approval", True):
            _create_approvals(actor=actor, instance=instance, contract=contract, step=step,
                              now=now)
            instance.updated_at = now
            instance.save(update_fields=["current_step", "steps_completed", "updated_at"])
            return
        _step_completed(instance, step)
    _finish(instance=instance, status=InstanceStatus.APPROVED, now=now)
    _contract_approve(actor=actor, contract=contract, now=now)


def _finish(*, instance, status: str, now, also=()) -> None:
    instance.status = status
    instance.completed_at = now
    instance.updated_at = now
    instance.save(update_fields=["status", "current_step", "steps_completed", "completed_at",
                                 "updated_at"])
    sla_services.sla_breaches_resolve(subject_ids=[instance.pk, *also], now=now)


def _close_pending(*, actor: Principal, instance, now) -> list:
    """Cancels the approvals still open on an instance that ends; returns their ids."""
    closed = []
    for approval in instance.approvals.select_for_update().filter(status=ApprovalStatus.PENDING):
        approval.status = ApprovalStatus.CANCELLED
        approval.updated_at = now
        approval.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor.user, entity_type="approval", entity_id=approval.pk,
                     action="updated", changes={"status": {"old": "pending", "new": "cancelled"}})
        event_emit(type="approval.status_changed",
                   data={**approval_payload(approval), "previous_status": "pending"})
        closed.append(approval.pk)
    return closed


def _contract_approve(*, actor: Principal, contract, now, comments: str | None = None) -> None:
    changes = model_update(contract, {
        "status": ContractStatus.APPROVED, "is_approved": True,
        "approved_by_id": actor.user.pk, "approved_at": now,
    })
    if comments:
        changes["comments"] = {"old": None, "new": comments}
    audit_record(actor=actor.user, entity_type="contract", entity_id=contract.pk,
                 action="approved", changes=changes)
    event_emit(type="contract.approved", data={
        **contract_payload(contract), "is_approved": True,
        "approved_by": contract.approved_by_id, "approved_at": contract.approved_at,
    })


def _contract_reject(*, actor: Principal, contract, now, comments: str | None = None) -> None:
    changes = model_update(contract, {"status": ContractStatus.REJECTED, "rejected_at": now})
    if comments:
        changes["comments"] = {"old": None, "new": comments}
    audit_record(actor=actor.user, entity_type="contract", entity_id=contract.pk,
                 action="rejected", changes=changes)
    event_emit(type="contract.updated", data={**contract_payload(contract), "changes": changes})


def _decide(*, actor: Principal, contract, instance, approval, approve: bool,
            comments: str | None) -> None:
    now = timezone.now()
    new_status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    changes = model_update(approval, {
        "status": new_status, "comments": comments, "decided_by_id": actor.user.pk,
        "decided_at": now, "approved_at": now if approve else None,
    })
    audit_record(actor=actor.user, entity_type="approval", entity_id=approval.pk,
                 action=str(new_status), changes=changes)
    event_emit(type="approval.status_changed",
               data={**approval_payload(approval), "previous_status": "pending"})
    sla_services.sla_breaches_resolve(subject_ids=[approval.pk], now=now)
    if not approve:
        closed = _close_pending(actor=actor, instance=instance, now=now)
        _finish(instance=instance, status=InstanceStatus.REJECTED, now=now, also=closed)
        _contract_reject(actor=actor, contract=contract, now=now, comments=comments)
        return
    # Every assignee of a step must approve; the last one to do so completes it.
    waiting = instance.approvals.filter(step_number=approval.step_number,
                                        status=ApprovalStatus.PENDING)
    if waiting.exists():
        return
    _step_completed(instance, instance.steps[approval.step_number - 1])
    _advance(actor=actor, instance=instance, contract=contract, now=now)


@transaction.atomic
def approval_decide(*, actor: Principal, approval_id, status: str,
                    comments: str | None = None) -> Approval:
    """Only the assignee decides (403), once (409)."""
    found = Approval.objects.filter(pk=approval_id).values_list("contract_id", "instance_id")
    if not found:
        raise NotFound()
    contract_id, instance_id = found[0]
    contract = _locked_contract(contract_id)
    instance = WorkflowInstance.objects.select_for_update().get(pk=instance_id)
    approval = Approval.objects.select_for_update().get(pk=approval_id)
    if not selectors.may_decide(actor, approval):
        raise PermissionDenied("Only the assignee of this approval may decide it")
    if approval.status != ApprovalStatus.PENDING:
        raise Conflict(f"This approval is already {approval.status}")
    _decide(actor=actor, contract=contract, instance=instance, approval=approval,
            approve=status == ApprovalStatus.APPROVED, comments=comments)
    approval.contract = contract
    return approval


@transaction.atomic
def contract_decide(*, actor: Principal, contract_id, approve: bool,
                    comments: str | None = None) -> Contract:
    """`/approve/` and `/reject/`: decides the caller's open approval on the current step; a
    submission without a workflow is decided directly by a holder of approve_contracts."""
    contract = _locked_contract(contract_id)
    if contract.status != ContractStatus.PENDING:
        raise Conflict(f"Only pending contracts can be decided (this one is '{contract.status}')")
    instance = selectors.instance_running(contract_id=contract.pk, lock=True)
    if instance is None or instance.workflow_id is None:
        actor.require(Perm.APPROVE_CONTRACTS)
        now = timezone.now()
        if instance is not None:
            _finish(instance=instance, now=now,
                    status=InstanceStatus.APPROVED if approve else InstanceStatus.REJECTED)
        if approve:
            _contract_approve(actor=actor, contract=contract, now=now, comments=comments)
        else:
            _contract_reject(actor=actor, contract=contract, now=now, comments=comments)
        return contract
    open_here = instance.approvals.select_for_update().filter(
        step_number=instance.current_step, status=ApprovalStatus.PENDING
    ).order_by("created_at", "id")
    approval = next((a for a in open_here if selectors.may_decide(actor, a)), None)
    if approval is None:
        raise PermissionDenied("No open approval of this contract is assigned to you")
    _decide(actor=actor, contract=contract, instance=instance, approval=approval,
            approve=approve, comments=comments)
    return contract
