"""Reads of contracts: scoped lookups, lists, statistics."""

from datetime import date

from django.contrib.postgres.search import SearchQuery
from django.db.models import BigIntegerField, F, Func, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.contracts.models import LIVE, Contract, ContractStatus, ContractTally
from core.contracts.payloads import PAYLOAD_COLUMNS
from core.errors import NotFound
from core.lookups import contains_pattern
from core.pages import CompiledShapes, sentinel

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


_STATUS, _SEARCH = sentinel(), sentinel()


def _page_shape(shape):
    has_status, has_search, ordering = shape
    rows = contract_list(
        status=_STATUS if has_status else None, search=_SEARCH if has_search else None,
        ordering=ordering,
    ).values_list(*PAYLOAD_COLUMNS)
    if has_search:
        return rows, None
    # Without a search the tally (kept in the writing transaction, read in this statement's
    # snapshot) holds the count: a few rows instead of counting every live contract.
    tally = ContractTally.objects.filter(status=_STATUS) if has_status else ContractTally.objects
    total = Subquery(tally.values(total=Func(F("n"), template="sum(%(expressions)s)::bigint")))
    return rows, Coalesce(total, 0, output_field=BigIntegerField())


_PAGES = CompiledShapes(_page_shape)


def contract_page(*, status: str | None, search: str | None, ordering: tuple, offset: int,
                  limit: int) -> tuple[list[tuple], int]:
    """A page of `contract_list` as tuples of PAYLOAD_COLUMNS, and the count of all its rows.

    One statement, compiled once per shape (core.pages): the API's hottest read.
    """
    values = {_STATUS: status, _SEARCH: search}
    if search:
        values[contains_pattern(_SEARCH)] = contains_pattern(search)
    return _PAGES.page(
        (bool(status), bool(search), tuple(ordering)), values, offset=offset, limit=limit,
        count_all=lambda: contract_list(status=status, search=search).count(),
    )


def contract_recent(*, limit: int):
    return Contract.objects.filter(LIVE).select_related("created_by").order_by("-updated_at")[
        :limit
    ]


def _month_start(day: date, months_back: int) -> date:
    month_index = day.year * 12 + (day.month - 1) - months_back
    return date(month_index // 12, month_index % 12 + 1, 1)


def contract_statistics() -> dict:
    """Counts by status and 12 monthly trend buckets, summed from the contract tally.

    The tally (models.ContractTally) holds one row per status and months of the three dates,
    kept by triggers: a few hundred rows however many contracts the tenant has.
    """
    today = timezone.now().date()
    months = [_month_start(today, back) for back in range(11, -1, -1)]
    trends = {m.strftime("%Y-%m"): {"approved": 0, "rejected": 0, "created": 0} for m in months}
    counts = {"total": 0, **{status: 0 for status in ContractStatus.values}}
    groups = ContractTally.objects.filter(n__gt=0).values_list(
        "status", "created_month", "approved_month", "rejected_month", "n"
    )
    for status, *periods, n in groups:
        counts["total"] += n
        if status in counts:
            counts[status] += n
        for period, key in zip(periods, ("created", "approved", "rejected"), strict=True):
            bucket = trends.get(period)
            if bucket is not None:
                bucket[key] += n
    counts["monthly_trends"] = [
        {"month": m.strftime("%b"), "period": period, **trends[period]}
        for m, period in zip(months, trends, strict=True)
    ]
    return counts
