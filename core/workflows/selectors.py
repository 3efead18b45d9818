"""Reads of workflows, instances and approvals, scoped to what the caller may see."""

from django.db.models import Q

from core.errors import NotFound
from core.rbac.permissions import Perm
from core.rbac.selectors import roles_by_user
from core.workflows.models import (
    LIVE,
    Approval,
    ApprovalStatus,
    InstanceStatus,
    Workflow,
    WorkflowInstance,
    WorkflowStatus,
)

SORTABLE = {"created_at": "created_at", "updated_at": "updated_at", "name": "name",
            "status": "status"}
APPROVAL_SORTABLE = {"created_at": "created_at", "updated_at": "updated_at",
                     "due_date": "due_at", "status": "status"}


def workflow_get(*, workflow_id) -> Workflow:
    workflow = Workflow.objects.filter(LIVE, pk=workflow_id).first()
    if workflow is None:
        raise NotFound()
    return workflow


def workflow_list(*, status: str | None = None, ordering=()):
    qs = Workflow.objects.filter(LIVE)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by(*(ordering or ("-created_at", "-id")))


def workflow_match(*, contract) -> Workflow | None:
    """The active workflow whose conditions fit the contract. The most specific wins (one that
    names the contract type, then one with a value range), then the oldest, so the choice is
    stable as workflows are added."""
    candidates = (
        Workflow.objects.filter(LIVE, status=WorkflowStatus.ACTIVE)
        .filter(Q(contract_types=[]) | Q(contract_types__contains=[contract.contract_type]))
        .filter(Q(min_value__isnull=True) | Q(min_value__lte=contract.value))
        .filter(Q(max_value__isnull=True) | Q(max_value__gte=contract.value))
        .order_by("created_at", "id")
    )

    def specificity(workflow):
        has_range = workflow.min_value is not None or workflow.max_value is not None
        return (not workflow.contract_types, not has_range)

    return min(candidates, key=specificity, default=None)


def workflow_instances(*, workflow_id, status: str | None = None):
    qs = WorkflowInstance.objects.filter(workflow_id=workflow_id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def instance_running(*, contract_id, lock: bool = False) -> WorkflowInstance | None:
    qs = WorkflowInstance.objects.filter(contract_id=contract_id,
                                         status=InstanceStatus.IN_PROGRESS)
    if lock:
        qs = qs.select_for_update()
    return qs.first()


def may_decide(principal, approval: Approval) -> bool:
    """The assignee: the user it names, or any holder of the role it names."""
    if approval.assigned_user_id is not None:
        return approval.assigned_user_id == principal.user.pk
    return approval.assigned_role in principal.roles


def _decidable_by(user_id, role_ids) -> Q:
    return Q(assigned_user_id=user_id) | Q(assigned_user__isnull=True,
                                           assigned_role__in=list(role_ids))


def approval_get(*, principal, approval_id) -> Approval:
    """An approval the caller may decide, or see (view_workflows); NotFound otherwise."""
    approval = Approval.objects.select_related("contract").filter(pk=approval_id).first()
    if approval is None or not (may_decide(principal, approval)
                                or principal.has(Perm.VIEW_WORKFLOWS)):
        raise NotFound()
    return approval


def approval_list(*, principal, status: str | None = None, assigned_to=None, ordering=()):
    """Everyone sees what they may decide; holders of manage_workflows see every approval.
    `assigned_to` narrows to what that user may decide (directly or through a role)."""
    qs = Approval.objects.select_related("contract")
    if not principal.has(Perm.MANAGE_WORKFLOWS):
        qs = qs.filter(_decidable_by(principal.user.pk, principal.roles))
    if assigned_to is not None:
        roles = roles_by_user(user_ids=[assigned_to]).get(assigned_to, [])
        qs = qs.filter(_decidable_by(assigned_to, roles))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by(*(ordering or ("-created_at", "-id")))


def approvals_overdue(*, now):
    return Approval.objects.filter(status=ApprovalStatus.PENDING, due_at__lt=now).only(
        "id", "contract_id", "sla_rule_id", "due_at"
    )


def instances_overdue(*, now):
    return WorkflowInstance.objects.filter(
        status=InstanceStatus.IN_PROGRESS, resolution_due_at__lt=now
    ).only("id", "contract_id", "sla_rule_id", "resolution_due_at")
