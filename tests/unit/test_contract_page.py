"""The contracts list's compiled shapes return what the ORM's queryset returns, for every shape."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from api.pagination import ordering
from core.contracts import selectors
from core.contracts.payloads import PAYLOAD_COLUMNS
from tests.api.workflow_support import create_contract

ORDERS = [None, *(f"{sign}{key}" for key in selectors.SORTABLE for sign in ("", "-"))]


@pytest.fixture
def contracts(api, acme):
    for i, (title, party) in enumerate([("Alpha 50% deal", "Acme_Corp"), ("Beta", "Initech"),
                                         ("Gamma", "Umbrella"), ("Delta", "Acme Corp")]):
        create_contract(api, acme, title=title, counterparty=party, value=1000 * (4 - i))
    with schema_context(acme.schema):
        yield


def _orm(status, search, order, offset, limit):
    qs = selectors.contract_list(status=status, search=search, ordering=order)
    rows = list(qs.values_list(*PAYLOAD_COLUMNS)[offset:offset + limit])
    return rows, qs.count()


@pytest.mark.parametrize("sort", ORDERS)
@pytest.mark.parametrize(("status", "search"), [(None, None), ("draft", None), (None, "acme"),
                                                ("draft", "corp"), ("pending", None),
                                                (None, "50%"), (None, "e_c"), (None, "zzz")])
def test_every_shape_matches_the_orm(contracts, sort, status, search):
    order = ordering(sort, allowed=selectors.SORTABLE, default=("-created_at", "-id"))
    for offset, limit in ((0, 20), (1, 2), (3, 5)):
        page = selectors.contract_page(status=status, search=search, ordering=order,
                                       offset=offset, limit=limit)
        assert page == _orm(status, search, order, offset, limit)
        assert type(page[1]) is int  # noqa: E721 - a Decimal would reach clients as "5"
    expected = {None: 4, "acme": 2, "corp": 2, "50%": 1, "e_c": 1, "zzz": 0}[search]
    assert page[1] == (expected if status != "pending" else 0)


def test_one_statement_and_a_count_only_past_the_end(contracts):
    order = ("-created_at", "-id")
    with CaptureQueriesContext(connection) as ctx:
        rows, count = selectors.contract_page(status=None, search=None, ordering=order,
                                              offset=0, limit=2)
    assert len(rows) == 2 and count == 4 and len(ctx.captured_queries) == 1
    with CaptureQueriesContext(connection) as ctx:
        assert selectors.contract_page(status=None, search=None, ordering=order,
                                       offset=10, limit=2) == ([], 4)
    assert len(ctx.captured_queries) == 2
