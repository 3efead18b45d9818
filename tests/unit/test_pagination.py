"""The page and its count in one statement, and the querysets that still take two."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from api.pagination import PageParams, _page_and_count
from core.contracts.models import Contract
from tests.api.workflow_support import create_contract


@pytest.fixture
def contracts(api, acme):
    for i in range(5):
        create_contract(api, acme, title=f"Contract {i}")
    with schema_context(acme.schema):
        yield Contract.objects.order_by("title", "id")


def _run(queryset, offset=0, limit=2):
    with CaptureQueriesContext(connection) as ctx:
        rows, count = _page_and_count(queryset, PageParams(offset=offset, limit=limit))
    return rows, count, len(ctx.captured_queries)


def test_model_rows_and_count_in_one_query(contracts):
    rows, count, queries = _run(contracts, offset=2)
    assert [c.title for c in rows] == ["Contract 2", "Contract 3"] and count == 5
    assert queries == 1


def test_tuples_lose_the_count_column(contracts):
    rows, count, queries = _run(contracts.values_list("title", "status"))
    assert rows == [("Contract 0", "draft"), ("Contract 1", "draft")] and count == 5
    assert queries == 1


def test_past_the_end_counts_separately(contracts):
    assert _run(contracts, offset=7) == ([], 5, 2)


def test_nothing_at_the_first_page_is_zero_without_a_count(contracts):
    assert _run(contracts.filter(title="none")) == ([], 0, 1)


@pytest.mark.parametrize("shape", ["distinct", "flat", "dicts"])
def test_other_querysets_take_two_queries_and_count_right(contracts, shape):
    queryset = {
        "distinct": contracts.distinct(),
        "flat": contracts.values_list("title", flat=True),
        "dicts": contracts.values("title"),
    }[shape]
    rows, count, queries = _run(queryset)
    assert len(rows) == 2 and count == 5 and queries == 2
