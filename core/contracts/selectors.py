"""Reads of contracts: scoped lookups, lists, statistics."""

from datetime import UTC, date, datetime, time

from django.contrib.postgres.search import SearchQuery
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from core.contracts.models import LIVE, Contract, ContractStatus
from core.errors import NotFound
from core.lookups import contains_pattern

SORTABLE = {
    "created_at": "created_at",
    "updated_at": "updated_at",
    "title": "title",
    "value": "value",
    "status": "status",
    "start_date": "start_date",
    "end_date": "end_date",
    "counterparty": "counterparty",
}


def contract_get(*, contract_id) -> Contract:
    """A live contract of the current tenant, or NotFound (also for malformed ids)."""
    contract = Contract.objects.filter(LIVE, pk=contract_id).defer("document_search").first()
    if contract is None:
        raise NotFound()
    return contract


def contract_list(*, status: str | None = None, search: str | None = None, ordering=()):
    # document_search exists for search only; pages never carry it.
    qs = Contract.objects.filter(LIVE).defer("document_search")
    if status:
        qs = qs.filter(status=status)
    if search:
        pattern = contains_pattern(search)
        # Every branch of the OR has its own GIN index (trigram, full-text): a BitmapOr.
        qs = qs.filter(
            Q(title__ilike=pattern) | Q(counterparty__ilike=pattern)
            | Q(contract_type__ilike=pattern)
            | Q(document_search=SearchQuery(search, config="english", search_type="plain"))
        )
    return qs.order_by(*(ordering or ("-created_at", "-id")))


def contract_recent(*, limit: int):
    return Contract.objects.filter(LIVE).select_related("created_by").order_by("-updated_at")[
        :limit
    ]


def _month_start(day: date, months_back: int) -> date:
    month_index = day.year * 12 + (day.month - 1) - months_back
    return date(month_index // 12, month_index % 12 + 1, 1)


def contract_statistics() -> dict:
    live = Contract.objects.filter(LIVE)
    counts = live.aggregate(
        total=Count("id"),
        **{status: Count("id", filter=Q(status=status)) for status in ContractStatus.values},
    )
    today = timezone.now().date()
    months = [_month_start(today, back) for back in range(11, -1, -1)]
    since = datetime.combine(months[0], time.min, tzinfo=UTC)
    trends = {m: {"approved": 0, "rejected": 0, "created": 0} for m in months}
    for field, key in (("approved_at", "approved"), ("rejected_at", "rejected"),
                       ("created_at", "created")):
        rows = (
            live.filter(**{f"{field}__gte": since})
            .annotate(month=TruncMonth(field))
            .values("month")
            .annotate(n=Count("id"))
            .values_list("month", "n")
        )
        for month, n in rows:
            trends[month.date()][key] = n
    counts["monthly_trends"] = [
        {"month": m.strftime("%b"), "period": m.strftime("%Y-%m"), **trends[m]} for m in months
    ]
    return counts
