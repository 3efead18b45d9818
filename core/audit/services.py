"""The one entry point for audit rows; every mutating service calls it inside its transaction."""

import datetime
import uuid
from decimal import Decimal

from core import context
from core.audit.models import AuditLog


def audit_record(
    *, actor, entity_type: str, entity_id, action: str, changes: dict | None = None
) -> AuditLog:
    return AuditLog.objects.create(
        entity_type=entity_type,
        entity_id=str(entity_id),
        action=action,
        performed_by_id=getattr(actor, "pk", None),
        performer_email=getattr(actor, "email", "") or "",
        changes=changes or {},
        metadata=context.current().as_metadata(),
    )


def jsonable(value):
    """Audit values as the API shows them: money as numbers, dates as ISO strings."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def diff(before: dict, after: dict) -> dict:
    """{field: {old, new}} for the fields whose value changed."""
    return {
        key: {"old": jsonable(before.get(key)), "new": jsonable(value)}
        for key, value in after.items()
        if before.get(key) != value
    }
