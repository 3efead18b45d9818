"""SLA rules (hours to respond and to resolve) and the breaches recorded against them."""

import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

DEFAULT_PRIORITY_LEVELS = ["Low", "Medium", "High", "Critical"]


def default_priority_levels() -> list[str]:
    return list(DEFAULT_PRIORITY_LEVELS)


class SLARule(models.Model):
    """Served with the id "sla-<pk>" as in the API reference.

    response_time: hours an approval may wait for its decision; resolution_time: hours a
    submitted contract may stay pending. `contract_types` empty = applies to every contract.
    """

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    response_time = models.PositiveIntegerField()
    resolution_time = models.PositiveIntegerField()
    priority_levels = ArrayField(
        models.CharField(max_length=50), default=default_priority_levels, blank=True
    )
    contract_types = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    @property
    def public_id(self) -> str:
        return f"sla-{self.pk}"


class BreachType(models.TextChoices):
    RESPONSE_TIME = "response_time"
    RESOLUTION_TIME = "resolution_time"


class BreachStatus(models.TextChoices):
    OPEN = "open"
    RESOLVED = "resolved"


class SLABreach(models.Model):
    """One missed deadline. The subject is the approval (response_time) or the workflow
    instance (resolution_time); the unique constraint records each at most once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    contract = models.ForeignKey("contracts.Contract", on_delete=models.CASCADE, related_name="+")
    sla_rule = models.ForeignKey(
        SLARule, null=True, blank=True, on_delete=models.SET_NULL, related_name="breaches"
    )
    subject_id = models.UUIDField()
    breach_type = models.CharField(max_length=20, choices=BreachType.choices)
    # When the deadline passed (not when the scan noticed it).
    breach_time = models.DateTimeField()
    resolution_time = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=BreachStatus.choices,
                              default=BreachStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subject_id", "breach_type"],
                                    name="sla_breach_once_per_subject"),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="sla_breach_created"),
            models.Index(fields=["status", "-created_at"], name="sla_breach_status"),
            models.Index(fields=["subject_id"], condition=Q(status="open"),
                         name="sla_breach_open_subject"),
        ]
