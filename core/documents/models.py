"""Contract versions: immutable records of each stored document and the clauses in it."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class VersionSource(models.TextChoices):
    GENERATED = "generated"
    RENDERED = "rendered"
    UPLOAD = "upload"
    CLONE = "clone"


class ContractVersion(models.Model):
    """Never updated after insert (a database trigger refuses it); a change is a new version."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.CASCADE, related_name="versions"
    )
    version_number = models.PositiveIntegerField()
    source = models.CharField(max_length=20, choices=VersionSource.choices)
    r2_key = models.CharField(max_length=500)
    content_type = models.CharField(max_length=100)
    template_id = models.UUIDField(null=True, blank=True)
    template_version = models.PositiveIntegerField(null=True, blank=True)
    change_summary = models.CharField(max_length=500, blank=True, default="")
    file_size = models.BigIntegerField()
    file_hash = models.CharField(max_length=64)
    # [{clause_id, clause_version, name, content, is_mandatory, position,
    #   alternatives_suggested, provenance: {source, template_id, template_version, added_at,
    #   added_by}}] in document order.
    clauses = models.JSONField(default=list)
    merge_values = models.JSONField(default=dict)
    text = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # The unique index also serves "latest version of a contract" (scanned backwards).
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "version_number"], name="version_number_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(version_number__gte=1), name="version_number_positive"
            ),
        ]
