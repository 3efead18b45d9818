"""Events recorded in the business transaction that caused them."""

import uuid

from django.db import models
from django.utils import timezone

EVENT_TYPES = (
    "contract.created",
    "contract.updated",
    "contract.deleted",
    "contract.approved",
    "workflow.instance.step_completed",
    "approval.created",
    "approval.status_changed",
    "template.published",
)


class Event(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=64, choices=[(t, t) for t in EVENT_TYPES])
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
