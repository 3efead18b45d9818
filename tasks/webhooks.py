"""Webhook actors: deliver one delivery, and the periodic sweep that re-sends what is due."""

import dramatiq
from django_tenants.utils import schema_context
from dramatiq_crontab import cron

from core.webhooks import services
from tenants import selectors as tenant_selectors


# Retries are the delivery's own schedule (rows in the database), not the broker's.
@dramatiq.actor(queue_name="webhooks", max_retries=0, time_limit=120_000)
def webhook_deliver(schema_name: str, delivery_id: str) -> None:
    """One attempt; a duplicate or stale message finds nothing due and does nothing."""
    with schema_context(schema_name):
        services.delivery_attempt(delivery_id=delivery_id)


@dramatiq.actor(queue_name="webhooks", max_retries=0)
def webhook_sweep_tenant(schema_name: str) -> int:
    with schema_context(schema_name):
        return len(services.deliveries_sweep())


@cron("* * * * *")
@dramatiq.actor(queue_name="webhooks", max_retries=0)
def webhook_sweep_all() -> int:
    """Every minute: deliveries whose message was lost (broker or worker down) go out again."""
    schemas = [t.schema_name for t in tenant_selectors.tenant_list() if t.is_active]
    for schema_name in schemas:
        webhook_sweep_tenant.send(schema_name)
    return len(schemas)
