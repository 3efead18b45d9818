"""Webhook use cases: endpoints, the outbox rows written with each event, and delivery.

Delivery is at-least-once. The Delivery rows are written in the business transaction (by
`event_emit`), a task is enqueued after commit, and `deliveries_sweep` re-enqueues anything
due that the broker lost. Each attempt first claims its row with a short lease, so a duplicate
message is a no-op and a crashed worker's delivery comes back after the lease.
"""

import base64
import json
import logging
import random
import secrets
from datetime import datetime, timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from standardwebhooks import Webhook

from core.audit.services import audit_record
from core.errors import Conflict, InvalidInput, PermissionDenied
from core.events.models import EVENT_TYPES, Event
from core.model_update import model_update
from core.rbac.access import Principal
from core.webhooks import guard, transport
from core.webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, Endpoint

log = logging.getLogger("clm.webhooks")

ENTITY = "webhook"
# Seconds to wait after the n-th failed attempt: x3 each time, capped, about 22 hours in all
# over 10 attempts; each delay is jittered by +-20% so failing endpoints are not hit in step.
RETRY_DELAYS = (20, 60, 180, 540, 1620, 4860, 14580, 28800, 28800)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.2
# An attempt holds its row this long; longer than the request timeout, so never two at once.
LEASE = timedelta(seconds=60)
# The sweeper leaves fresh work to the queued task and takes over once it is this overdue.
SWEEP_GRACE = timedelta(seconds=30)
SECRET_ROTATION_GRACE = timedelta(hours=24)
PING_TYPE = "webhook.test"


# --- endpoints --------------------------------------------------------------------------------

def _new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _check_url(url: str) -> str:
    try:
        guard.parse_target(url)
    except guard.UnsafeTarget as exc:
        raise InvalidInput({"url": [str(exc)]}) from exc
    try:
        guard.resolve_safe(url)
    except guard.UnsafeTarget as exc:
        # A well-formed URL (the schema's pattern) whose host may not be called, or cannot be
        # checked: a refusal by policy, not malformed input.
        raise PermissionDenied(str(exc)) from exc
    return url


def _check_events(events: list[str]) -> list[str]:
    unknown = [e for e in events if e not in EVENT_TYPES]
    if unknown:
        raise InvalidInput({"events": [f"Unknown event type: {e}" for e in unknown]})
    if not events:
        raise InvalidInput({"events": ["Subscribe to at least one event type"]})
    return sorted(set(events))


def _snapshot(endpoint: Endpoint) -> dict:
    return {"url": endpoint.url, "events": endpoint.events, "description": endpoint.description,
            "is_active": endpoint.is_active}


@transaction.atomic
def endpoint_create(*, actor: Principal, url: str, events: list[str],
                    description: str = "") -> Endpoint:
    """The returned endpoint carries its secret: the only time the API shows it."""
    endpoint = Endpoint.objects.create(
        url=_check_url(url), events=_check_events(events), description=description,
        secret=_new_secret(), created_by=actor.user,
    )
    audit_record(actor=actor.user, entity_type=ENTITY, entity_id=endpoint.pk, action="created",
                 changes={k: {"old": None, "new": v} for k, v in _snapshot(endpoint).items()})
    return endpoint


def _locked(endpoint_id) -> Endpoint:
    return Endpoint.objects.select_for_update().get(pk=endpoint_id)


@transaction.atomic
def endpoint_update(*, actor: Principal, endpoint_id, data: dict) -> Endpoint:
    endpoint = _locked(endpoint_id)
    nulls = [k for k, v in data.items() if v is None]
    if nulls:
        raise InvalidInput({k: ["This field may not be null"] for k in nulls})
    if "url" in data and data["url"] != endpoint.url:
        _check_url(data["url"])
    if "events" in data:
        data["events"] = _check_events(data["events"])
    if data.get("is_active") and not endpoint.is_active:
        # Re-enabling starts afresh; its pending deliveries resume with the sweeper.
        data.update(disabled_reason="", failing_since=None)
    changes = model_update(endpoint, data)
    changes.pop("failing_since", None)
    if changes:
        audit_record(actor=actor.user, entity_type=ENTITY, entity_id=endpoint.pk,
                     action="updated", changes=changes)
    return endpoint


@transaction.atomic
def endpoint_delete(*, actor: Principal, endpoint_id) -> None:
    endpoint = _locked(endpoint_id)
    audit_record(actor=actor.user, entity_type=ENTITY, entity_id=endpoint.pk, action="deleted",
                 changes={k: {"old": v, "new": None} for k, v in _snapshot(endpoint).items()})
    endpoint.delete()


@transaction.atomic
def endpoint_rotate_secret(*, actor: Principal, endpoint_id, now: datetime | None = None):
    """A new secret; the old one keeps signing (a second signature) for a day."""
    now = now or timezone.now()
    endpoint = _locked(endpoint_id)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + SECRET_ROTATION_GRACE
    endpoint.secret = _new_secret()
    endpoint.updated_at = now
    endpoint.save(update_fields=["previous_secret", "previous_secret_expires_at", "secret",
                                 "updated_at"])
    audit_record(actor=actor.user, entity_type=ENTITY, entity_id=endpoint.pk,
                 action="secret_rotated")
    return endpoint


# --- outbox -----------------------------------------------------------------------------------

def _body(type_: str, timestamp: datetime, data: dict) -> str:
    return json.dumps({"type": type_, "timestamp": timestamp, "data": data},
                      cls=DjangoJSONEncoder, separators=(",", ":"))


def _enqueue(schema_name: str, delivery_ids: list, delay: timedelta | None = None) -> None:
    """Hands deliveries to the broker; if it is down, the sweeper picks them up later."""
    from tasks.webhooks import webhook_deliver

    options = {"delay": int(delay.total_seconds() * 1000)} if delay else {}
    try:
        for delivery_id in delivery_ids:
            webhook_deliver.send_with_options(args=(schema_name, str(delivery_id)), **options)
    except Exception:
        log.warning("webhooks: broker unavailable, %d deliveries left to the sweeper",
                    len(delivery_ids), exc_info=True)


def _enqueue_on_commit(delivery_ids: list, delay: timedelta | None = None) -> None:
    schema_name = connection.schema_name
    transaction.on_commit(lambda: _enqueue(schema_name, delivery_ids, delay))


def deliveries_create(*, event: Event) -> list[Delivery]:
    """Outbox rows for the endpoints subscribed to the event; the caller owns the transaction."""
    endpoints = list(
        Endpoint.objects.filter(is_active=True, events__contains=[event.type]).only("id")
    )
    if not endpoints:
        return []
    body = _body(event.type, event.created_at, event.data)
    deliveries = Delivery.objects.bulk_create([
        Delivery(endpoint=endpoint, event=event, event_type=event.type,
                 message_id=f"msg_{event.id.hex}", body=body, max_attempts=MAX_ATTEMPTS,
                 next_attempt_at=event.created_at)
        for endpoint in endpoints
    ])
    _enqueue_on_commit([d.pk for d in deliveries])
    return deliveries


@transaction.atomic
def delivery_redeliver(*, actor: Principal, endpoint_id, delivery_id) -> Delivery:
    """Sends the same message (same webhook-id) again, with a fresh retry schedule."""
    endpoint = _locked(endpoint_id)
    if not endpoint.is_active:
        raise Conflict("The endpoint is disabled; enable it before redelivering")
    delivery = Delivery.objects.select_for_update().get(pk=delivery_id, endpoint=endpoint)
    delivery.status = DeliveryStatus.PENDING
    delivery.attempt_count = 0
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "attempt_count", "next_attempt_at"])
    audit_record(actor=actor.user, entity_type="webhook_delivery", entity_id=delivery.pk,
                 action="redelivered", changes={"endpoint_id": {"old": None,
                                                                "new": str(endpoint.pk)}})
    _enqueue_on_commit([delivery.pk])
    return delivery


def endpoint_test(*, actor: Principal, endpoint_id) -> Delivery:
    """Sends a signed ping now and returns its delivery with the attempt (no retries)."""
    with transaction.atomic():
        endpoint = _locked(endpoint_id)
        now = timezone.now()
        delivery = Delivery.objects.create(
            endpoint=endpoint, event_type=PING_TYPE, message_id=f"msg_{secrets.token_hex(16)}",
            body=_body(PING_TYPE, now, {"endpoint_id": str(endpoint.pk),
                                        "requested_by": str(actor.user.pk)}),
            max_attempts=1, next_attempt_at=now,
        )
    delivery_attempt(delivery_id=delivery.pk, any_endpoint_state=True)
    return Delivery.objects.prefetch_related("attempts").get(pk=delivery.pk)


# --- delivery ---------------------------------------------------------------------------------

def retry_delay(attempt_count: int, *, rng=random) -> timedelta:
    """Backoff after the `attempt_count`-th failure (1-based), with jitter."""
    base = RETRY_DELAYS[min(attempt_count, len(RETRY_DELAYS)) - 1]
    return timedelta(seconds=base * rng.uniform(1 - JITTER, 1 + JITTER))


def signature_headers(endpoint: Endpoint, message_id: str, body: str,
                      at: datetime) -> dict[str, str]:
    signatures = [Webhook(endpoint.secret).sign(message_id, at, body)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires and expires > at:
        signatures.append(Webhook(endpoint.previous_secret).sign(message_id, at, body))
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


def _claim(delivery_id, now: datetime, any_endpoint_state: bool) -> Delivery | None:
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if delivery is None or not (delivery.endpoint.is_active or any_endpoint_state):
            return None
        delivery.attempt_count += 1
        if delivery.attempt_count == 1:
            delivery.schedule_started_at = now
        delivery.next_attempt_at = now + LEASE
        delivery.save(update_fields=["attempt_count", "schedule_started_at", "next_attempt_at"])
        return delivery


def _disable(endpoint: Endpoint, reason: str, now: datetime) -> None:
    before = {"is_active": endpoint.is_active, "disabled_reason": endpoint.disabled_reason}
    model_update(endpoint, {"is_active": False, "disabled_reason": reason})
    audit_record(actor=None, entity_type=ENTITY, entity_id=endpoint.pk, action="updated",
                 changes={"is_active": {"old": before["is_active"], "new": False},
                          "disabled_reason": {"old": before["disabled_reason"], "new": reason}})
    log.warning("webhooks: endpoint %s disabled: %s", endpoint.pk, reason)


@transaction.atomic
def _record(delivery: Delivery, outcome: transport.Outcome, now: datetime) -> Delivery:
    DeliveryAttempt.objects.create(
        delivery=delivery, attempted_at=now, status_code=outcome.status_code,
        duration_ms=outcome.duration_ms, response_excerpt=outcome.response_excerpt,
        error=outcome.error, success=outcome.success,
    )
    endpoint = Endpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    delivery.last_status_code = outcome.status_code
    fields = ["last_status_code", "status", "next_attempt_at"]
    if outcome.success:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        fields.append("delivered_at")
        if endpoint.failing_since:
            endpoint.failing_since = None
            endpoint.save(update_fields=["failing_since"])
    else:
        if endpoint.failing_since is None:
            endpoint.failing_since = now
            endpoint.save(update_fields=["failing_since"])
        if outcome.status_code == 410:
            # The receiver says the endpoint is gone for good: stop sending anything to it.
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
            if endpoint.is_active:
                _disable(endpoint, "The receiver answered 410 Gone", now)
        elif delivery.attempt_count >= delivery.max_attempts:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
            # Failing since this schedule's first attempt: nothing got through for a whole
            # schedule (about a day), so the endpoint is disabled.
            if (endpoint.is_active and delivery.event_type != PING_TYPE
                    and endpoint.failing_since <= delivery.schedule_started_at):
                _disable(endpoint, "Every attempt failed for a full retry schedule", now)
        else:
            delay = retry_delay(delivery.attempt_count)
            delivery.next_attempt_at = now + delay
            _enqueue_on_commit([delivery.pk], delay)
    delivery.save(update_fields=fields)
    return delivery


def delivery_attempt(*, delivery_id, now: datetime | None = None,
                     any_endpoint_state: bool = False) -> Delivery | None:
    """One attempt if the delivery is pending and due; None when there is nothing to do.

    `now` moves the clock for scheduling (tests); the signature always carries the real time.
    """
    now = now or timezone.now()
    delivery = _claim(delivery_id, now, any_endpoint_state)
    if delivery is None:
        return None
    sent_at = timezone.now()
    headers = signature_headers(delivery.endpoint, delivery.message_id, delivery.body, sent_at)
    outcome = transport.post(delivery.endpoint.url, delivery.body, headers)
    return _record(delivery, outcome, now)


def deliveries_sweep(*, now: datetime | None = None, limit: int = 500) -> list:
    """Re-enqueues overdue deliveries of the current tenant (lost messages, broker outages,
    crashed workers); returns their ids."""
    now = now or timezone.now()
    due = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, endpoint__is_active=True,
                                next_attempt_at__lte=now - SWEEP_GRACE)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    if due:
        _enqueue(connection.schema_name, due)
    return due
