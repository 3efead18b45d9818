"""Clause rows: one row per version of a clause; the newest one carries is_latest."""

import uuid

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils import timezone

import core.lookups  # noqa: F401 - registers field__ilike


class Clause(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clause_id = models.CharField(max_length=50)
    version = models.PositiveIntegerField(default=1)
    is_latest = models.BooleanField(default=True)
    name = models.CharField(max_length=255)
    category = models.CharField(max_length=100)
    content = models.TextField()
    tags = models.JSONField(default=list)
    alternatives = models.JSONField(default=list)
    contract_types = models.JSONField(default=list)
    # {"contract_types": [...] (empty = all), "min_value": number | null, "message": str}
    mandatory_rule = models.JSONField(null=True, blank=True)
    conflicts_with = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clause_id", "version"], name="clause_id_version"),
            # At most one latest row per clause, even under concurrent edits.
            models.UniqueConstraint(
                fields=["clause_id"], condition=Q(is_latest=True), name="clause_one_latest"
            ),
        ]
        indexes = [
            models.Index(fields=["category", "clause_id"], condition=Q(is_latest=True),
                         name="clause_latest_category"),
            GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], condition=Q(is_latest=True),
                     name="clause_name_trgm"),
        ]
