"""SLA actors: the periodic fan-out over tenants and the scan of one tenant."""

from datetime import datetime

import dramatiq
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context
from dramatiq_crontab import cron

from core.sla import services
from tenants import selectors as tenant_selectors


@dramatiq.actor(max_retries=3)
def sla_scan_tenant(schema_name: str, now: str | None = None) -> int:
    """Records the breaches of one tenant as of `now` (ISO 8601; default: the current time).
    Safe to run twice: breaches are unique per subject and type."""
    moment = datetime.fromisoformat(now) if now else timezone.now()
    with schema_context(schema_name):
        return services.sla_scan(now=moment)


@cron(settings.SLA_SCAN_SCHEDULE)
@dramatiq.actor(max_retries=0)
def sla_scan_all(now: str | None = None) -> int:
    """One message per active tenant, all judged against the same clock; a slow or failing
    tenant then delays or retries alone."""
    moment = now or timezone.now().isoformat()
    schemas = [t.schema_name for t in tenant_selectors.tenant_list() if t.is_active]
    for schema_name in schemas:
        sla_scan_tenant.send(schema_name, moment)
    return len(schemas)
