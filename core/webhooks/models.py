"""Webhook endpoints and the outbox of deliveries to them, with every attempt recorded."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Endpoint(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=255, blank=True)
    events = models.JSONField(default=list)
    # "whsec_" + base64 key, as Standard Webhooks consumers expect; shown once, at creation.
    secret = models.CharField(max_length=100)
    # During a rotation the old secret still signs (second signature) until it expires.
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=255, blank=True)
    # First failed attempt since the last success; an endpoint failing a whole retry schedule
    # (no success since before the delivery began) is disabled.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
        db_constraint=False,
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Delivery(models.Model):
    """One message to one endpoint; `message_id` (the webhook-id header) is kept across retries."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(
        "events.Event", null=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    event_type = models.CharField(max_length=64)
    message_id = models.CharField(max_length=64)
    # The exact bytes sent on every attempt, so retries are identical to the first send.
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    # Attempts in the current schedule (a redelivery starts a new one); drives the backoff.
    attempt_count = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField()
    # First attempt of the current schedule: failing ever since means the endpoint is dead.
    schedule_started_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="webhooks_delivery_due",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["endpoint", "-created_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event"], name="webhooks_one_delivery_per_event",
                condition=models.Q(event__isnull=False),
            )
        ]


class DeliveryAttempt(models.Model):
    id = models.BigAutoField(primary_key=True)
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    attempted_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.FloatField(default=0)
    response_excerpt = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)
    success = models.BooleanField(default=False)

    class Meta:
        ordering = ["attempted_at", "id"]
