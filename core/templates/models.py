"""Contract templates: document, merge fields, mandatory clauses and business rules."""

import uuid

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone

import core.lookups  # noqa: F401 - registers field__ilike


class TemplateStatus(models.TextChoices):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class ContractTemplate(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255)
    contract_type = models.CharField(max_length=100)
    description = models.TextField(blank=True, default="")
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(
        max_length=20, choices=TemplateStatus.choices, default=TemplateStatus.DRAFT
    )
    # Storage key of the template's .docx (without the tenant prefix); "" = no file.
    r2_key = models.CharField(max_length=500, blank=True, default="")
    merge_fields = models.JSONField(default=list)
    mandatory_clauses = models.JSONField(default=list)
    business_rules = models.JSONField(default=dict)
    # Fingerprint of the content as last published: publishing different content bumps version.
    published_fingerprint = models.CharField(max_length=64, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="template_created"),
            models.Index(fields=["status", "contract_type"], name="template_status_type"),
            GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="template_name_trgm"),
        ]
