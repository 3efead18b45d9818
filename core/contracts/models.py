"""Contract rows; the rules that govern them live in rules.py and services.py."""

import uuid

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone

import core.lookups  # noqa: F401 - registers field__ilike


class ContractStatus(models.TextChoices):
    DRAFT = "draft"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXECUTED = "executed"


LIVE = Q(deleted_at__isnull=True)


class Contract(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=255)
    contract_type = models.CharField(max_length=100)
    status = models.CharField(
        max_length=20, choices=ContractStatus.choices, default=ContractStatus.DRAFT
    )
    value = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="USD")
    counterparty = models.CharField(max_length=255, blank=True, default="")
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    template_id = models.UUIDField(null=True, blank=True)
    workflow_instance_id = models.UUIDField(null=True, blank=True)
    is_approved = models.BooleanField(default=False)
    # No index on either user column: no query filters by them, and every index of this
    # table is opened by the planner for every contracts query (README, Benchmarks).
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", db_index=False,
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    executed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Words of the latest document version (its text lives on the version), kept by
    # core.documents. Stored rather than computed so no query ever runs to_tsvector per row.
    document_search = SearchVectorField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="contract_value_non_negative"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="contract_end_after_start",
            ),
        ]
        indexes = [
            models.Index(
                fields=["-created_at", "-id"], condition=LIVE, name="contract_live_created"
            ),
            models.Index(
                fields=["status", "-created_at", "-id"], condition=LIVE, name="contract_live_status"
            ),
            models.Index(fields=["-updated_at"], condition=LIVE, name="contract_live_updated"),
            # Substring search (field__ilike) over these fields: one trigram index, scanned
            # once per field of the OR (a multicolumn GIN index serves any of its columns).
            GinIndex(fields=["title", "counterparty", "contract_type"],
                     opclasses=["gin_trgm_ops"] * 3, condition=LIVE, name="contract_text_trgm"),
            # Word search over documents (selectors.contract_list).
            GinIndex(fields=["document_search"], condition=LIVE, name="contract_document_fts"),
        ]


class ContractTally(models.Model):
    """How many live contracts share a status and the months of their three dates.

    Kept by statement-level triggers on the contract table (migration 0004), so every write
    path, bulk ones included, keeps it exact in the writing transaction. Statistics read these
    few rows instead of scanning every contract. Months are 'YYYY-MM' in UTC, '' for no date.
    """

    status = models.CharField(max_length=20)
    created_month = models.CharField(max_length=7)
    approved_month = models.CharField(max_length=7)
    rejected_month = models.CharField(max_length=7)
    n = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["status", "created_month", "approved_month", "rejected_month"],
                name="contract_tally_key",
            ),
        ]
