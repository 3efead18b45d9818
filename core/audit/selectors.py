"""Reads of the audit log: filtered lists, statistics in SQL, entity history, chain verification."""

import csv
import io
import json
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection
from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django_tenants.utils import schema_context

from core.audit.models import ROW_HASH_SQL, AuditLog

TOP_USERS = 100


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _as_bound(value: date | datetime, *, end: bool) -> Q:
    """A date bound covers its whole (UTC) day; a datetime bound is exact."""
    if isinstance(value, datetime):
        value = value if timezone.is_aware(value) else value.replace(tzinfo=UTC)
        return Q(created_at__lte=value) if end else Q(created_at__gte=value)
    if end:
        return Q(created_at__lt=_day_start(value + timedelta(days=1)))
    return Q(created_at__gte=_day_start(value))


def audit_list(
    *,
    action: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    performed_by=None,
    start_date: date | datetime | None = None,
    end_date: date | datetime | None = None,
) -> QuerySet[AuditLog]:
    qs = AuditLog.objects.all()
    if action:
        qs = qs.filter(action=action)
    if entity_type:
        qs = qs.filter(entity_type=entity_type)
    if entity_id:
        qs = qs.filter(entity_id=str(entity_id))
    if performed_by:
        qs = qs.filter(performed_by_id=performed_by)
    if start_date:
        qs = qs.filter(_as_bound(start_date, end=False))
    if end_date:
        qs = qs.filter(_as_bound(end_date, end=True))
    return qs.order_by("-seq")


def entity_history(*, entity_type: str, entity_id) -> QuerySet[AuditLog]:
    return audit_list(entity_type=entity_type, entity_id=entity_id)


def audit_stats(*, days: int, now: datetime | None = None) -> dict:
    """Counts over the last `days` days (today included), grouped in SQL."""
    today = (now or timezone.now()).astimezone(UTC).date()
    first_day = today - timedelta(days=days - 1)
    window = AuditLog.objects.filter(created_at__gte=_day_start(first_day)).order_by()

    def grouped(field: str) -> dict:
        rows = window.values(field).annotate(n=Count("id")).values_list(field, "n")
        return dict(rows)

    # The busiest users first; a user's email is the one recorded on their rows.
    by_user = (
        window.filter(performed_by__isnull=False)
        .values("performed_by_id")
        .annotate(action_count=Count("id"), email=Max("performer_email"))
        .order_by("-action_count", "performed_by_id")
        .values_list("performed_by_id", "email", "action_count")[:TOP_USERS]
    )
    per_day = dict(
        window.annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    by_type = grouped("action")
    return {
        "total_actions": sum(by_type.values()),
        "actions_by_type": by_type,
        "actions_by_entity": grouped("entity_type"),
        "actions_by_user": [
            {"user_id": user_id, "email": email, "action_count": n}
            for user_id, email, n in by_user
        ],
        "daily_trends": [
            {"date": (today - timedelta(days=back)).isoformat(),
             "action_count": per_day.get(today - timedelta(days=back), 0)}
            for back in range(days)
        ],
    }


_VERIFY_SQL = f"""
    SELECT count(*) OVER () AS checked, id, bad FROM (
        SELECT r.id, r.seq,
               r.hash IS DISTINCT FROM {ROW_HASH_SQL.format(r="r")}
               OR r.prev_hash IS DISTINCT FROM COALESCE(lag(r.hash) OVER w, '')
               OR r.seq IS DISTINCT FROM row_number() OVER w AS bad
        FROM audit_auditlog r
        WINDOW w AS (ORDER BY r.seq)
    ) chain
    ORDER BY bad DESC, seq
    LIMIT 1
"""


def audit_verify() -> dict:
    """Recomputes every row's hash and link in the database, in one pass over the chain.

    A row is bad when its content no longer matches its hash, when it does not link to the
    previous row's hash, or when its number is out of step (a row was removed before it).
    """
    with connection.cursor() as cursor:
        cursor.execute(_VERIFY_SQL)
        row = cursor.fetchone()
    if row is None:
        return {"valid": True, "checked": 0, "first_bad_id": None}
    checked, row_id, bad = row
    return {"valid": not bad, "checked": checked, "first_bad_id": row_id if bad else None}


EXPORT_COLUMNS = (
    "id", "seq", "created_at", "entity_type", "entity_id", "action", "performed_by",
    "performer_email", "changes", "ip_address", "user_agent", "request_id", "hash",
)
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    # Spreadsheets run cells that start like a formula; neutralise them (CSV injection).
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def audit_export_lines(**filters):
    """CSV lines of the filtered log, oldest first, read in chunks so memory stays flat.

    The tenant schema is captured now and re-entered while iterating: a streamed response is
    consumed after the view returns, when the connection may point elsewhere.
    """
    schema = connection.schema_name
    queryset = audit_list(**filters).order_by("seq")

    def lines():
        buffer = io.StringIO()
        writer = csv.writer(buffer)

        def flush() -> str:
            text = buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            return text

        writer.writerow(EXPORT_COLUMNS)
        yield flush()
        with schema_context(schema):
            for row in queryset.iterator(chunk_size=2000):
                meta = row.metadata or {}
                writer.writerow([_cell(v) for v in (
                    row.id, row.seq, row.created_at.isoformat(), row.entity_type, row.entity_id,
                    row.action, row.performed_by_id, row.performer_email,
                    json.dumps(row.changes, sort_keys=True), meta.get("ip_address"),
                    meta.get("user_agent"), meta.get("request_id"), row.hash,
                )])
                yield flush()

    return lines()
