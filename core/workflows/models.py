"""Workflow definitions, the instances contracts run through, and their approvals."""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

LIVE = Q(deleted_at__isnull=True)


class WorkflowStatus(models.TextChoices):
    ACTIVE = "active"
    ARCHIVED = "archived"


class Workflow(models.Model):
    """A template of approval steps; `steps` is a list of
    {step_number, name, assigned_to: ["role:<id>" | "user:<uuid>"], required_approval,
    due_in_hours}. Matching conditions are empty/null when they do not restrict."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    status = models.CharField(
        max_length=20, choices=WorkflowStatus.choices, default=WorkflowStatus.ACTIVE
    )
    steps = models.JSONField(default=list)
    contract_types = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    min_value = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    max_value = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Soft delete: running instances and their history keep pointing at the definition.
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "-created_at", "-id"], condition=LIVE,
                         name="workflow_live_status"),
        ]


class InstanceStatus(models.TextChoices):
    IN_PROGRESS = "in_progress"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class WorkflowInstance(models.Model):
    """One submission of a contract. `steps` is a snapshot of the workflow's steps taken at
    submission, so editing the workflow never changes a running instance. A submission that
    matched no workflow has `workflow` null and no steps: it waits for a direct approval."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workflow = models.ForeignKey(
        Workflow, null=True, blank=True, on_delete=models.PROTECT, related_name="instances"
    )
    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=InstanceStatus.choices, default=InstanceStatus.IN_PROGRESS
    )
    steps = models.JSONField(default=list)
    current_step = models.PositiveIntegerField(default=0)
    steps_completed = models.PositiveIntegerField(default=0)
    total_steps = models.PositiveIntegerField(default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # SLA terms are fixed when the clock starts, like the terms of a signed SLA.
    sla_rule = models.ForeignKey(
        "sla.SLARule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # A contract is in at most one running submission, whatever races happen.
            models.UniqueConstraint(
                fields=["contract"], condition=Q(status="in_progress"),
                name="workflow_instance_one_running_per_contract",
            ),
        ]
        indexes = [
            models.Index(fields=["workflow", "-created_at"], name="workflow_instance_by_wf"),
            models.Index(fields=["resolution_due_at"], condition=Q(status="in_progress"),
                         name="workflow_instance_due"),
        ]


class ApprovalStatus(models.TextChoices):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    # Closed without a decision: the submission was withdrawn or rejected at another seat.
    CANCELLED = "cancelled"


class Approval(models.Model):
    """A decision one assignee owes on one step; assigned to a user or to a role (any holder
    of the role may decide it)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    instance = models.ForeignKey(
        WorkflowInstance, on_delete=models.CASCADE, related_name="approvals"
    )
    contract = models.ForeignKey("contracts.Contract", on_delete=models.CASCADE, related_name="+")
    step_number = models.PositiveIntegerField()
    step_name = models.CharField(max_length=200, blank=True, default="")
    assigned_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # A role id, not a foreign key: deleting a custom role must not rewrite decided history.
    assigned_role = models.CharField(max_length=50, blank=True, default="")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    due_at = models.DateTimeField(null=True, blank=True)
    sla_rule = models.ForeignKey(
        "sla.SLARule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comments = models.TextField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # At most one: a user or a role. None is left only when the assigned user was
            # deleted (SET_NULL); such an approval can no longer be decided, only withdrawn.
            models.CheckConstraint(
                condition=Q(assigned_user__isnull=True) | Q(assigned_role=""),
                name="approval_single_assignee",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at", "-id"], name="approval_status"),
            models.Index(fields=["assigned_user", "status"], name="approval_user"),
            models.Index(fields=["assigned_role", "status"], name="approval_role"),
            models.Index(fields=["instance", "step_number"], name="approval_step"),
            models.Index(fields=["due_at"], condition=Q(status="pending"), name="approval_due"),
        ]
